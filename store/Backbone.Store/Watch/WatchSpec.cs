namespace Backbone.Store.Watch;

/// <summary>What a client asked to watch (etcd's WatchCreateRequest, minus transport concerns).</summary>
public sealed record WatchSpec
{
    public required byte[] Key { get; init; }
    public byte[] RangeEnd { get; init; } = [];
    /// <summary>First revision to report, inclusive; 0 means "changes after now".</summary>
    public long StartRevision { get; init; }
    public bool PrevKv { get; init; }
    public bool ProgressNotify { get; init; }
    public bool NoPut { get; init; }
    public bool NoDelete { get; init; }
    /// <summary>Client-chosen id; 0 lets the stream choose (etcd's AutoWatchID).</summary>
    public long WatchId { get; init; }
}
