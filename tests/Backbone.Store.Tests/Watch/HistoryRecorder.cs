using Backbone.Store.Model;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// The oracle for watch checks: reads the whole keyspace with Range at every revision (a path
/// independent of the watch code), so each revision's changes and every prev_kv follow from two
/// consecutive snapshots. The order of a revision's changes (its sub-revisions) is not visible to
/// Range; <see cref="Build"/> takes it from what the acknowledged writes said they did, and checks
/// on the way that every revision belongs to exactly one acknowledged write that made exactly those
/// changes.
///
/// Create it right after opening the store: the revision then (1 for an empty store, as etcd's) is
/// the baseline, and history starts after it. Not thread-safe: one task at a time calls
/// <see cref="CatchUpTo"/>, and before any compaction passes the revisions it has still to read.
/// </summary>
internal sealed class HistoryRecorder
{
    private static readonly byte[] AllKeys = [0];

    private readonly StoreEngine engine;
    private readonly List<(long Revision, List<WatchEvent> Events)> recorded = [];
    private Dictionary<string, KeyValue> current;

    public HistoryRecorder(StoreEngine engine)
    {
        this.engine = engine;
        RecordedThrough = engine.Revision;
        current = engine.Range(new RangeRequest { Key = AllKeys, RangeEnd = AllKeys })
            .Kvs.ToDictionary(kv => WatchHistoryChecker.KeyText(kv.Key));
    }

    public long RecordedThrough { get; private set; }

    /// <summary>Problems with the store's history itself (not with watches).</summary>
    public List<string> Problems { get; } = [];

    public void CatchUpTo(long revision)
    {
        for (long r = RecordedThrough + 1; r <= revision; r++)
        {
            RangeResult range = engine.Range(new RangeRequest { Key = AllKeys, RangeEnd = AllKeys, Revision = r });
            Dictionary<string, KeyValue> next = [];
            List<WatchEvent> events = [];
            foreach (KeyValue kv in range.Kvs)
            {
                string key = WatchHistoryChecker.KeyText(kv.Key);
                next.Add(key, kv);
                KeyValue? previous = current.GetValueOrDefault(key);
                if (kv.ModRevision == r)
                {
                    events.Add(new WatchEvent(WatchEventType.Put, kv, previous));
                }
                else if (previous is null || previous.ModRevision != kv.ModRevision)
                {
                    Problems.Add($"revision {r}: {key} changed (mod {kv.ModRevision}) without a write at {r}");
                }
            }

            foreach ((string key, KeyValue previous) in current)
            {
                if (!next.ContainsKey(key))
                {
                    events.Add(new WatchEvent(WatchEventType.Delete, new KeyValue { Key = previous.Key, ModRevision = r }, previous));
                }
            }

            if (events.Count == 0)
            {
                Problems.Add($"revision {r} changed nothing");
            }

            recorded.Add((r, events));
            current = next;
            RecordedThrough = r;
        }
    }

    /// <summary>The recorded revisions, each ordered as the write that made it; mismatches go to <see cref="Problems"/>.</summary>
    public List<CommittedRevision> Build(IEnumerable<WriteClaim> claims)
    {
        Dictionary<long, List<WriteClaim>> byRevision = [];
        foreach (WriteClaim claim in claims)
        {
            if (claim.Revision > RecordedThrough && !claim.IsLeaseRevoke)
            {
                Problems.Add($"{claim.Origin} reported revision {claim.Revision}, past the history ({RecordedThrough})");
            }

            if (!byRevision.TryGetValue(claim.Revision, out List<WriteClaim>? list))
            {
                byRevision[claim.Revision] = list = [];
            }

            list.Add(claim);
        }

        List<CommittedRevision> history = new(recorded.Count);
        foreach ((long revision, List<WatchEvent> events) in recorded)
        {
            List<WriteClaim> here = byRevision.GetValueOrDefault(revision) ?? [];
            List<WriteClaim> writes = [.. here.Where(c => !c.IsLeaseRevoke)];
            if (writes.Count > 1)
            {
                Problems.Add($"revision {revision} reported by {writes.Count} writes: {string.Join(", ", writes.Select(w => w.Origin))}");
            }

            if (writes.Count >= 1)
            {
                history.Add(new CommittedRevision(revision, Order(revision, writes[0], events)));
            }
            else if (here.Count > 0)
            {
                // A lease revoke: it deletes its keys in key order.
                if (events.Any(e => e.Type != WatchEventType.Delete))
                {
                    Problems.Add($"revision {revision} (a lease revoke) has puts");
                }

                history.Add(new CommittedRevision(revision, [.. events.OrderBy(e => e.Kv.Key, ByteOrder.Instance)]));
            }
            else
            {
                Problems.Add($"revision {revision} was made by no acknowledged write");
                history.Add(new CommittedRevision(revision, events));
            }
        }

        return history;
    }

    /// <summary>A revision's events in the order its write made them; the write must account for each exactly once.</summary>
    private List<WatchEvent> Order(long revision, WriteClaim write, List<WatchEvent> events)
    {
        Dictionary<string, WatchEvent> remaining = events.ToDictionary(e => WatchHistoryChecker.KeyText(e.Kv.Key));
        List<WatchEvent> ordered = new(events.Count);
        foreach (ClaimedChange change in write.Changes)
        {
            if (change.Type == WatchEventType.Put || change.RangeEnd.Length == 0)
            {
                if (change.Type == WatchEventType.Delete && change.Deleted == 0)
                {
                    continue;
                }

                string key = WatchHistoryChecker.KeyText(change.Key);
                if (!remaining.Remove(key, out WatchEvent? e) || e.Type != change.Type)
                {
                    Problems.Add($"revision {revision} ({write.Origin}): no {change.Type} of {key} in the history");
                    continue;
                }

                ordered.Add(e);
                continue;
            }

            List<WatchEvent> deleted = [.. remaining.Values
                .Where(e => e.Type == WatchEventType.Delete && WatchHistoryChecker.InRange(change.Key, change.RangeEnd, e.Kv.Key))
                .OrderBy(e => e.Kv.Key, ByteOrder.Instance)];
            if (deleted.Count != change.Deleted)
            {
                Problems.Add($"revision {revision} ({write.Origin}): the write deleted {change.Deleted} keys, the history shows {deleted.Count}");
            }

            foreach (WatchEvent e in deleted)
            {
                remaining.Remove(WatchHistoryChecker.KeyText(e.Kv.Key));
                ordered.Add(e);
            }
        }

        foreach (WatchEvent extra in remaining.Values)
        {
            Problems.Add($"revision {revision} ({write.Origin}): {WatchHistoryChecker.Describe(extra)} was not made by the write");
            ordered.Add(extra);
        }

        return ordered;
    }

    /// <summary>Byte-wise key order, as the store's index.</summary>
    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
