namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// A put the cluster acknowledged: the key, the value and the revision it answered with, which
/// member answered, and when (Stopwatch timestamps) the request left and the answer came.
/// </summary>
public sealed record AcknowledgedPut(string Key, string Value, long Revision, int Member, long InvokedTicks, long AckedTicks);
