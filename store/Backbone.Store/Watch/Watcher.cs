using Backbone.Core;
using Backbone.Store.Model;
using Backbone.Store.Mvcc;

namespace Backbone.Store.Watch;

/// <summary>
/// One watch of a stream. Synced watchers get events as they are applied; unsynced ones (new with
/// an old start revision, or too slow) read history on their own task until they catch up.
/// Mutable fields are guarded by the hub's gate.
/// </summary>
internal sealed class Watcher(long id, WatchSpec spec, WatchStream stream)
{
    public long Id { get; } = id;

    public WatchSpec Spec { get; } = spec;

    public KeyRange Range { get; } = KeyRange.FromRequest(spec.Key, spec.RangeEnd);

    public WatchStream Stream { get; } = stream;

    /// <summary>
    /// The first revision not yet delivered while unsynced; once synced, a floor below which
    /// events are skipped (a future start revision), not advanced per batch.
    /// </summary>
    public long NextRevision { get; set; }

    public bool Synced { get; set; }

    public bool Canceled { get; set; }

    /// <summary>The events of <paramref name="changes"/> this watcher reports, with prev_kv when asked.</summary>
    public List<WatchEvent> Select(IReadOnlyList<ChangeEvent> changes, MvccStore store)
    {
        List<WatchEvent> selected = [];
        foreach (ChangeEvent change in changes)
        {
            if (Range.Contains(change.Kv.Key) && Shape(change, store) is { } shaped)
            {
                selected.Add(shaped);
            }
        }

        return selected;
    }

    /// <summary>
    /// The event this watcher reports for a change in its range: null when it is older than what
    /// the watcher still needs or a filter drops it; prev_kv filled when asked.
    /// </summary>
    public WatchEvent? Shape(ChangeEvent change, MvccStore store)
    {
        if (change.Revision.Main < NextRevision)
        {
            return null;
        }

        if ((change.Type == WatchEventType.Put && Spec.NoPut) || (change.Type == WatchEventType.Delete && Spec.NoDelete))
        {
            return null;
        }

        KeyValue? prev = Spec.PrevKv ? store.TryGetPrevious(change.Kv.Key, change.Revision) : null;
        return new WatchEvent(change.Type, change.Kv, prev);
    }
}
