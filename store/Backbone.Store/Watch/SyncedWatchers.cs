using Backbone.Store.Index;

namespace Backbone.Store.Watch;

/// <summary>
/// The synced watchers, indexed so that routing a change costs the watchers it may concern, not
/// all of them: single-key watches by key (the common case: agents and DNS watch many single
/// keys), range and prefix watches in a list checked per change. Guarded by the hub's gate.
/// </summary>
internal sealed class SyncedWatchers
{
    private readonly HashSet<Watcher> all = [];
    private readonly Dictionary<byte[], List<Watcher>> byKey = new(ByteArrayComparer.Instance);
    private readonly List<Watcher> ranged = [];

    public int Count => all.Count;

    public IEnumerable<Watcher> All => all;

    public void Add(Watcher watcher)
    {
        if (!all.Add(watcher))
        {
            return;
        }

        if (watcher.Range.IsSingleKey)
        {
            if (!byKey.TryGetValue(watcher.Range.Start, out List<Watcher>? list))
            {
                byKey[watcher.Range.Start] = list = [];
            }

            list.Add(watcher);
        }
        else
        {
            ranged.Add(watcher);
        }
    }

    public void Remove(Watcher watcher)
    {
        if (!all.Remove(watcher))
        {
            return;
        }

        if (watcher.Range.IsSingleKey)
        {
            List<Watcher> list = byKey[watcher.Range.Start];
            list.Remove(watcher);
            if (list.Count == 0)
            {
                byKey.Remove(watcher.Range.Start);
            }
        }
        else
        {
            ranged.Remove(watcher);
        }
    }

    /// <summary>Calls <paramref name="visit"/> for every synced watcher whose range holds <paramref name="key"/>.</summary>
    public void ForEachMatching(byte[] key, Action<Watcher> visit)
    {
        if (byKey.TryGetValue(key, out List<Watcher>? exact))
        {
            foreach (Watcher watcher in exact)
            {
                visit(watcher);
            }
        }

        foreach (Watcher watcher in ranged)
        {
            if (watcher.Range.Contains(key))
            {
                visit(watcher);
            }
        }
    }
}
