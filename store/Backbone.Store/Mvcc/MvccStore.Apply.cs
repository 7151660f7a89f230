using Backbone.Core;
using Backbone.Store.Backend;
using Backbone.Store.Index;
using Backbone.Store.Model;
using MessagePack;

namespace Backbone.Store.Mvcc;

internal sealed partial class MvccStore
{
    private object ApplyWrite(RequestOp op)
    {
        WriteTxn txn = new(this, revision + 1);
        object result;
        if (op.Put is { } put)
        {
            CheckPut(put, txn);
            result = txn.Put(put);
        }
        else if (op.DeleteRange is { } delete)
        {
            result = txn.DeleteRange(delete);
        }
        else if (op.Txn is { } nested)
        {
            result = ApplyTxn(nested, txn);
        }
        else
        {
            throw new InvalidOperationException("a write command carries no operation");
        }

        txn.Commit();
        return result;
    }

    private TxnResult ApplyTxn(TxnRequest request, WriteTxn txn)
    {
        // Decide every branch and check every put before any change, so a refused txn changes nothing.
        List<bool> decisions = [];
        DecideAndCheck(request, txn, decisions);
        int next = 0;
        return ExecuteTxn(request, txn, decisions, ref next);
    }

    private void DecideAndCheck(TxnRequest request, WriteTxn txn, List<bool> decisions)
    {
        bool succeeded = request.Compare.All(c => CompareHolds(c, txn.ReadRevision));
        decisions.Add(succeeded);
        foreach (RequestOp op in succeeded ? request.Success : request.Failure)
        {
            if (op.Put is { } put)
            {
                CheckPut(put, txn);
            }
            else if (op.Range is { } range)
            {
                CheckRange(range);
            }
            else if (op.Txn is { } nested)
            {
                DecideAndCheck(nested, txn, decisions);
            }
        }
    }

    /// <summary>
    /// etcd's checkRequestRange: a txn's read at a revision the store does not have (future or
    /// compacted) refuses the whole txn before it writes anything, judged at the revision it starts from.
    /// </summary>
    private void CheckRange(RangeRequest range)
    {
        if (range.Revision > revision)
        {
            throw new StoreException(StoreError.FutureRevision);
        }

        if (range.Revision > 0 && range.Revision < compactRevision)
        {
            throw new StoreException(StoreError.Compacted);
        }
    }

    private TxnResult ExecuteTxn(TxnRequest request, WriteTxn txn, List<bool> decisions, ref int next)
    {
        bool succeeded = decisions[next++];
        RequestOp[] ops = succeeded ? request.Success : request.Failure;
        List<OpResult> responses = new(ops.Length);
        foreach (RequestOp op in ops)
        {
            if (op.Range is { } range)
            {
                responses.Add(new OpResult(Range: RangeLocked(range, txn.ReadRevision)));
            }
            else if (op.Put is { } put)
            {
                responses.Add(new OpResult(Put: txn.Put(put)));
            }
            else if (op.DeleteRange is { } delete)
            {
                responses.Add(new OpResult(DeleteRange: txn.DeleteRange(delete)));
            }
            else if (op.Txn is { } nested)
            {
                responses.Add(new OpResult(Txn: ExecuteTxn(nested, txn, decisions, ref next)));
            }
        }

        return new TxnResult(succeeded, responses, txn.ReadRevision);
    }

    /// <summary>etcd's applyCompare: a range holds only if every key holds; Value on a missing key fails.</summary>
    private bool CompareHolds(Compare compare, long at)
    {
        bool any = false;
        foreach (KeyHistory history in index.Histories(KeyRange.FromRequest(compare.Key, compare.RangeEnd)))
        {
            if (!history.TryGet(at, out KeyRevision entry))
            {
                continue;
            }

            any = true;
            if (!CompareOne(compare, history.Key, entry))
            {
                return false;
            }
        }

        if (!any)
        {
            return compare.Target != CompareTarget.Value && CompareNumbers(compare.Result, 0, compare.Number);
        }

        return true;
    }

    private bool CompareOne(Compare compare, byte[] key, KeyRevision entry)
    {
        switch (compare.Target)
        {
            case CompareTarget.Value:
                int byValue = LoadKeyValue(key, entry, withValue: true).Value.AsSpan().SequenceCompareTo(compare.Value);
                return CompareSign(compare.Result, byValue);
            case CompareTarget.Lease:
                return CompareNumbers(compare.Result, entry.Lease, compare.Number);
            case CompareTarget.Version:
                return CompareNumbers(compare.Result, entry.Version, compare.Number);
            case CompareTarget.Create:
                return CompareNumbers(compare.Result, entry.CreateRevision, compare.Number);
            case CompareTarget.Mod:
                return CompareNumbers(compare.Result, entry.Revision.Main, compare.Number);
            default:
                return false;
        }
    }

    private static bool CompareNumbers(CompareResult result, long actual, long expected) =>
        CompareSign(result, actual.CompareTo(expected));

    private static bool CompareSign(CompareResult result, int sign) => result switch
    {
        CompareResult.Equal => sign == 0,
        CompareResult.NotEqual => sign != 0,
        CompareResult.Greater => sign > 0,
        CompareResult.Less => sign < 0,
        _ => false,
    };

    /// <summary>The apply-time checks of a put: its lease exists; ignore_* need an existing key.</summary>
    private void CheckPut(PutRequest put, WriteTxn txn)
    {
        if ((put.IgnoreValue || put.IgnoreLease) && !txn.KeyExists(put.Key))
        {
            throw new StoreException(StoreError.KeyNotFound);
        }

        if (!put.IgnoreLease && put.Lease != 0 && !leases.Contains(put.Lease))
        {
            throw new StoreException(StoreError.LeaseNotFound);
        }
    }

    private CompactResult ApplyCompact(long atRevision)
    {
        if (atRevision <= compactRevision)
        {
            throw new StoreException(StoreError.Compacted);
        }

        if (atRevision > revision)
        {
            throw new StoreException(StoreError.FutureRevision);
        }

        foreach (Revision dead in index.Compact(atRevision))
        {
            physicalDeletes.Enqueue(dead);
        }

        Volatile.Write(ref compactRevision, atRevision);
        return new CompactResult(revision);
    }

    private LeaseGrantResult ApplyLeaseGrant(long logIndex, Commands.LeaseGrantCommand grant)
    {
        if (leases.Contains(grant.Id))
        {
            throw new StoreException(StoreError.LeaseExists);
        }

        leases.Add(grant.Id, grant.TtlSeconds);
        WriteLeaseRecord(new LeaseRecord { Id = grant.Id, TtlSeconds = grant.TtlSeconds, GrantIndex = logIndex });
        leaseChanges.Add((grant.Id, grant.TtlSeconds, true));
        return new LeaseGrantResult(grant.Id, grant.TtlSeconds, revision);
    }

    private LeaseRevokeResult ApplyLeaseRevoke(long logIndex, long id)
    {
        if (!leases.TryGet(id, out var lease))
        {
            throw new StoreException(StoreError.LeaseNotFound);
        }

        // Every attached key goes at one revision, in key order (deterministic on every replica).
        WriteTxn txn = new(this, revision + 1);
        foreach (byte[] key in lease.Keys.ToArray())
        {
            txn.DeleteRange(new DeleteRangeRequest { Key = key });
        }

        txn.Commit();
        leases.Remove(id);
        WriteLeaseRecord(new LeaseRecord { Id = id, TtlSeconds = lease.TtlSeconds, RevokeIndex = logIndex });
        leaseChanges.Add((id, lease.TtlSeconds, false));
        return new LeaseRevokeResult(revision);
    }

    private void WriteLeaseRecord(LeaseRecord record)
    {
        Span<byte> key = stackalloc byte[FasterKey.Length];
        FasterKey.WriteLease(key, record.Id);
        backend.Upsert(key, MessagePackSerializer.Serialize(record));
    }
}
