namespace Backbone.Dns.Tests.Server;

/// <summary>The fuzz run has the machine to itself: on two cores, other tests beside it would only make both slower.</summary>
[CollectionDefinition(nameof(FuzzCollection), DisableParallelization = true)]
public sealed class FuzzCollection;
