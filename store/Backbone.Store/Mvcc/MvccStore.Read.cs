using Backbone.Core;
using Backbone.Store.Index;
using Backbone.Store.Model;

namespace Backbone.Store.Mvcc;

internal sealed partial class MvccStore
{
    /// <summary>A read at the request's revision (0 = latest). Any thread.</summary>
    public RangeResult Range(RangeRequest request)
    {
        stateLock.EnterReadLock();
        try
        {
            return RangeLocked(request, revision);
        }
        finally
        {
            stateLock.ExitReadLock();
        }
    }

    /// <summary>
    /// A txn whose branches hold only ranges (<see cref="TxnRequest.IsReadOnly"/>: etcd serves
    /// these without its log too), decided and read at the current revision under the read lock,
    /// so its compares and ranges see one state, as a txn applied from the log does. Any thread.
    /// </summary>
    public TxnResult ReadTxn(TxnRequest request)
    {
        stateLock.EnterReadLock();
        try
        {
            bool succeeded = request.Compare.All(c => CompareHolds(c, revision));
            RequestOp[] ops = succeeded ? request.Success : request.Failure;
            foreach (RequestOp op in ops)
            {
                CheckRange(op.Range ?? throw new InvalidOperationException("a read-only txn holds only ranges"));
            }

            return new TxnResult(succeeded, [.. ops.Select(op => new OpResult(Range: RangeLocked(op.Range!, revision)))], revision);
        }
        finally
        {
            stateLock.ExitReadLock();
        }
    }

    /// <summary>The value a key had just before <paramref name="at"/>, for prev_kv of watch events.</summary>
    public KeyValue? TryGetPrevious(byte[] key, Revision at)
    {
        stateLock.EnterReadLock();
        try
        {
            KeyHistory? history = index.Find(key);
            return history is not null && history.TryGetBefore(at, out KeyRevision entry)
                ? LoadKeyValue(key, entry, withValue: true)
                : null;
        }
        finally
        {
            stateLock.ExitReadLock();
        }
    }

    /// <summary>
    /// The changes of revisions [<paramref name="fromRevision"/>, current], whole revisions only, stopping
    /// once at least <paramref name="maxEvents"/> are gathered. Throws Compacted when
    /// <paramref name="fromRevision"/> is below the compaction point. <paramref name="nextRevision"/> is
    /// the first revision not read.
    /// </summary>
    public List<ChangeEvent> ReadHistory(long fromRevision, int maxEvents, out long nextRevision)
    {
        List<ChangeEvent> events = [];
        stateLock.EnterReadLock();
        try
        {
            if (fromRevision < compactRevision)
            {
                throw new StoreException(StoreError.Compacted);
            }

            long main = Math.Max(fromRevision, 1);
            for (; main <= revision && events.Count < maxEvents; main++)
            {
                for (long sub = 0; ; sub++)
                {
                    Revision at = new(main, sub);
                    Backend.RevisionRecord? record = LoadRecord(at);
                    if (record is null)
                    {
                        break;
                    }

                    events.Add(ToChange(record, at));
                }
            }

            nextRevision = main;
            return events;
        }
        finally
        {
            stateLock.ExitReadLock();
        }
    }

    private static ChangeEvent ToChange(Backend.RevisionRecord record, Revision at) =>
        record.Tombstone
            ? new ChangeEvent(WatchEventType.Delete, new KeyValue { Key = record.Key, ModRevision = at.Main }, at)
            : new ChangeEvent(
                WatchEventType.Put,
                new KeyValue
                {
                    Key = record.Key,
                    Value = record.Value,
                    CreateRevision = record.CreateRevision,
                    ModRevision = record.ModRevision,
                    Version = record.Version,
                    Lease = record.Lease,
                },
                at);

    /// <summary>etcd's applyRange over the index; <paramref name="latest"/> is the revision a 0 means.</summary>
    private RangeResult RangeLocked(RangeRequest request, long latest)
    {
        long at = request.Revision > 0 ? request.Revision : latest;
        if (at > latest)
        {
            throw new StoreException(StoreError.FutureRevision);
        }

        if (at < compactRevision)
        {
            throw new StoreException(StoreError.Compacted);
        }

        bool filtered = request.MinModRevision != 0 || request.MaxModRevision != 0
            || request.MinCreateRevision != 0 || request.MaxCreateRevision != 0;
        SortOrder order = request.SortOrder;
        if (request.SortTarget != SortTarget.Key && order == SortOrder.None)
        {
            order = SortOrder.Ascend; // etcd: a sort target without an order means ascending
        }

        bool sorted = order != SortOrder.None && !(order == SortOrder.Ascend && request.SortTarget == SortTarget.Key);

        // As etcd: fetch one extra to know "more", unless sorting or filtering needs everything.
        long fetchLimit = sorted || filtered || request.Limit <= 0 ? long.MaxValue : request.Limit + 1;

        long count = 0;
        List<(byte[] Key, KeyRevision Entry)> found = [];
        foreach (KeyHistory history in index.Histories(KeyRange.FromRequest(request.Key, request.RangeEnd)))
        {
            if (!history.TryGet(at, out KeyRevision entry))
            {
                continue;
            }

            count++;
            if (!request.CountOnly && found.Count < fetchLimit && PassesFilters(request, entry))
            {
                found.Add((history.Key, entry));
            }
        }

        if (request.CountOnly)
        {
            return new RangeResult([], false, count, latest);
        }

        List<KeyValue> kvs = new(found.Count);
        bool needValue = !request.KeysOnly || request.SortTarget == SortTarget.Value;
        foreach ((byte[] key, KeyRevision entry) in found)
        {
            kvs.Add(LoadKeyValue(key, entry, needValue));
        }

        if (sorted)
        {
            // Stable, so that ties keep key order and answers are repeatable.
            kvs = [.. kvs.Order(Comparer<KeyValue>.Create(SortComparer(request.SortTarget, order)))];
        }

        bool more = false;
        if (request.Limit > 0 && kvs.Count > request.Limit)
        {
            kvs.RemoveRange((int)request.Limit, kvs.Count - (int)request.Limit);
            more = true;
        }

        if (request.KeysOnly && needValue)
        {
            for (int i = 0; i < kvs.Count; i++)
            {
                KeyValue kv = kvs[i];
                kvs[i] = new KeyValue { Key = kv.Key, CreateRevision = kv.CreateRevision, ModRevision = kv.ModRevision, Version = kv.Version, Lease = kv.Lease };
            }
        }

        return new RangeResult(kvs, more, count, latest);
    }

    private static bool PassesFilters(RangeRequest r, KeyRevision e) =>
        (r.MinModRevision == 0 || e.Revision.Main >= r.MinModRevision)
        && (r.MaxModRevision == 0 || e.Revision.Main <= r.MaxModRevision)
        && (r.MinCreateRevision == 0 || e.CreateRevision >= r.MinCreateRevision)
        && (r.MaxCreateRevision == 0 || e.CreateRevision <= r.MaxCreateRevision);

    private static Comparison<KeyValue> SortComparer(SortTarget target, SortOrder order)
    {
        Comparison<KeyValue> ascending = target switch
        {
            SortTarget.Key => (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key),
            SortTarget.Version => (a, b) => a.Version.CompareTo(b.Version),
            SortTarget.Create => (a, b) => a.CreateRevision.CompareTo(b.CreateRevision),
            SortTarget.Mod => (a, b) => a.ModRevision.CompareTo(b.ModRevision),
            SortTarget.Value => (a, b) => a.Value.AsSpan().SequenceCompareTo(b.Value),
            _ => throw new StoreException(StoreError.InvalidSortOption),
        };
        return order == SortOrder.Descend ? (a, b) => ascending(b, a) : ascending;
    }
}
