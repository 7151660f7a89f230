using Backbone.Core;

namespace Backbone.Store.Index;

/// <summary>
/// The revisions at which one key changed, ascending, as etcd's keyIndex but flat: a tombstone
/// entry ends a life of the key (etcd's generation) and the next put starts a new one.
///
/// Worked example: put@2, put@4, delete@6, put@8 gives
///   [2 (create 2, v1), 4 (create 2, v2), 6 (tombstone), 8 (create 8, v1)].
/// A read at 5 sees revision 4; at 6 or 7 nothing; at 9 revision 8.
/// Compact(5) keeps [4, 6, 8] (4 is what a read at 5 sees); Compact(7) keeps [8]: the tombstone
/// at 6 and everything before it are gone, since no readable revision sees them. Compact(6)
/// keeps [6, 8]: a tombstone at the compaction point itself stays for watchers resuming there.
///
/// Not thread-safe: <see cref="KeyIndex"/>'s owner serialises writers against readers.
/// </summary>
internal sealed class KeyHistory(byte[] key)
{
    private readonly List<KeyRevision> revisions = [];

    public byte[] Key { get; } = key;

    public int Count => revisions.Count;

    public bool IsEmpty => revisions.Count == 0;

    /// <summary>The newest entry; only valid when not <see cref="IsEmpty"/>.</summary>
    public KeyRevision Latest => revisions[^1];

    /// <summary>True when the key exists at the head of history.</summary>
    public bool IsLive => revisions.Count > 0 && !revisions[^1].Tombstone;

    public KeyRevision Put(Revision revision, long lease = 0)
    {
        AssertAfterLatest(revision);
        KeyRevision entry = IsLive
            ? new KeyRevision(revision, Latest.CreateRevision, Latest.Version + 1, false, lease)
            : new KeyRevision(revision, revision.Main, 1, false, lease);
        revisions.Add(entry);
        return entry;
    }

    public void Tombstone(Revision revision)
    {
        AssertAfterLatest(revision);
        if (!IsLive)
        {
            throw new InvalidOperationException($"tombstone of a key that does not exist at {revision}");
        }

        revisions.Add(new KeyRevision(revision, 0, 0, true));
    }

    /// <summary>Adds an entry read back from the backend; entries must arrive in revision order.</summary>
    public void Restore(KeyRevision entry)
    {
        AssertAfterLatest(entry.Revision);
        revisions.Add(entry);
    }

    /// <summary>The entry a read at <paramref name="atRevision"/> sees, if the key exists then.</summary>
    public bool TryGet(long atRevision, out KeyRevision entry)
    {
        int i = IndexOfLastAtOrBefore(atRevision);
        if (i < 0 || revisions[i].Tombstone)
        {
            entry = default;
            return false;
        }

        entry = revisions[i];
        return true;
    }

    /// <summary>The newest live entry strictly before <paramref name="revision"/> (a put's or delete's previous value).</summary>
    public bool TryGetBefore(Revision revision, out KeyRevision entry)
    {
        for (int i = revisions.Count - 1; i >= 0; i--)
        {
            if (revisions[i].Revision < revision)
            {
                entry = revisions[i];
                return !entry.Tombstone;
            }
        }

        entry = default;
        return false;
    }

    /// <summary>
    /// Drops the entries no read at or after <paramref name="atRevision"/> can see, adding their
    /// revisions to <paramref name="removed"/> (the backend records to delete).
    /// </summary>
    public void Compact(long atRevision, List<Revision> removed)
    {
        int i = IndexOfLastAtOrBefore(atRevision);
        if (i < 0)
        {
            return;
        }

        // A tombstone at exactly atRevision stays one more round, so that watchers resuming at
        // the compaction point still see that delete (the history at atRevision stays whole).
        bool dropTombstone = revisions[i].Tombstone && revisions[i].Revision.Main < atRevision;
        int removeCount = dropTombstone ? i + 1 : i;
        for (int j = 0; j < removeCount; j++)
        {
            removed.Add(revisions[j].Revision);
        }

        revisions.RemoveRange(0, removeCount);
    }

    private int IndexOfLastAtOrBefore(long atRevision)
    {
        int lo = 0;
        int hi = revisions.Count - 1;
        int found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (revisions[mid].Revision.Main <= atRevision)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    private void AssertAfterLatest(Revision revision)
    {
        if (revisions.Count > 0 && revision <= revisions[^1].Revision)
        {
            throw new InvalidOperationException($"revision {revision} is not after {revisions[^1].Revision} for the same key");
        }
    }
}
