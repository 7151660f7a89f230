namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// The cluster tests run one at a time, never beside each other: each starts three to five node
/// processes, and their elections and catch-up deadlines assume the machine is not shared with
/// another cluster.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}
