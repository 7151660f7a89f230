using Backbone.Store.Watch;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// What one watch received, in stream order: its Created answer first, then its event messages, its
/// own progress messages and the stream-wide progress messages sent while it was active, and its
/// Canceled answer last when it was canceled.
/// </summary>
internal sealed class WatchObservation(string name, WatchSpec spec)
{
    public string Name { get; } = name;

    public WatchSpec Spec { get; } = spec;

    public List<WatchMessage> Messages { get; } = [];

    /// <summary>When above 0, a watch that was not canceled must be shown complete through this revision (by events or progress).</summary>
    public long RequiredThroughRevision { get; set; }

    public bool IsCanceled => Messages.Count > 0 && Messages[^1].Canceled;

    public int EventCount => Messages.Sum(m => m.Events.Count);
}
