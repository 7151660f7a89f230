using Backbone.Store.Model;

namespace Backbone.Store.Watch;

/// <summary>
/// One response on a watch stream, as etcd's WatchResponse: events of whole revisions for one
/// watcher, or a control message (created, canceled, compacted, progress). A stream-wide progress
/// answer carries <see cref="ProgressWatchId"/>.
/// </summary>
public sealed record WatchMessage(long WatchId, long Revision, IReadOnlyList<WatchEvent> Events)
{
    /// <summary>etcd's InvalidWatchID (-1): a progress answer for the whole stream.</summary>
    public const long ProgressWatchId = -1;

    public bool Created { get; init; }
    public bool Canceled { get; init; }
    public long CompactRevision { get; init; }
    public string CancelReason { get; init; } = "";
}
