using Backbone.Core;

namespace Backbone.Store.Index;

/// <summary>
/// The in-memory ordered index of every key to its <see cref="KeyHistory"/>, as etcd's treeIndex.
/// FASTER has no order, so this serves ranges; it is rebuilt from the backend at start-up.
///
/// Not thread-safe: the owner (<see cref="Mvcc.MvccStore"/>) holds its state lock around every call.
/// </summary>
internal sealed class KeyIndex
{
    private readonly SortedSet<KeyHistory> tree = new(KeyHistoryComparer.Instance);

    public int KeyCount => tree.Count;

    /// <summary>Every history, in key order (live or not).</summary>
    public IEnumerable<KeyHistory> All => tree;

    public KeyRevision Put(byte[] key, Revision revision, long lease = 0) => GetOrAdd(key).Put(revision, lease);

    public void Tombstone(byte[] key, Revision revision)
    {
        KeyHistory history = Find(key) ?? throw new InvalidOperationException("tombstone of a key that is not indexed");
        history.Tombstone(revision);
    }

    public void Restore(byte[] key, KeyRevision entry) => GetOrAdd(key).Restore(entry);

    public KeyHistory? Find(ReadOnlySpan<byte> key)
    {
        KeyHistory probe = new(key.ToArray());
        return tree.TryGetValue(probe, out KeyHistory? found) ? found : null;
    }

    /// <summary>The histories of the keys in <paramref name="range"/>, in key order (live or not).</summary>
    public IEnumerable<KeyHistory> Histories(KeyRange range)
    {
        if (range.IsSingleKey)
        {
            KeyHistory? one = Find(range.Start);
            return one is null ? [] : [one];
        }

        KeyHistory low = new(range.Start);
        if (range.End is null)
        {
            return tree.GetViewBetween(low, KeyHistoryComparer.MaxSentinel);
        }

        if (((ReadOnlySpan<byte>)range.End).SequenceCompareTo(range.Start) <= 0)
        {
            return [];
        }

        // GetViewBetween is inclusive at both ends; the end key itself is excluded below.
        KeyHistory high = new(range.End);
        return ExcludeKey(tree.GetViewBetween(low, high), range.End);
    }

    /// <summary>Drops history no read at or after <paramref name="atRevision"/> can see; returns the dropped revisions.</summary>
    public List<Revision> Compact(long atRevision)
    {
        List<Revision> removed = [];
        List<KeyHistory>? emptied = null;
        foreach (KeyHistory history in tree)
        {
            history.Compact(atRevision, removed);
            if (history.IsEmpty)
            {
                (emptied ??= []).Add(history);
            }
        }

        if (emptied is not null)
        {
            foreach (KeyHistory history in emptied)
            {
                tree.Remove(history);
            }
        }

        return removed;
    }

    private KeyHistory GetOrAdd(byte[] key)
    {
        KeyHistory? existing = Find(key);
        if (existing is not null)
        {
            return existing;
        }

        KeyHistory created = new(key);
        tree.Add(created);
        return created;
    }

    private static IEnumerable<KeyHistory> ExcludeKey(IEnumerable<KeyHistory> histories, byte[] excluded)
    {
        foreach (KeyHistory history in histories)
        {
            if (!history.Key.AsSpan().SequenceEqual(excluded))
            {
                yield return history;
            }
        }
    }

    /// <summary>Orders histories by key bytes; <see cref="MaxSentinel"/> sorts after every key.</summary>
    private sealed class KeyHistoryComparer : IComparer<KeyHistory>
    {
        public static readonly KeyHistoryComparer Instance = new();

        public static readonly KeyHistory MaxSentinel = new([]);

        public int Compare(KeyHistory? x, KeyHistory? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (ReferenceEquals(x, MaxSentinel))
            {
                return 1;
            }

            if (ReferenceEquals(y, MaxSentinel))
            {
                return -1;
            }

            return x!.Key.AsSpan().SequenceCompareTo(y!.Key);
        }
    }
}
