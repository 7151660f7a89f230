using Backbone.Core;
using Backbone.Store.Index;
using Backbone.Store.Model;

namespace Backbone.Store;

/// <summary>
/// The checks etcd makes before proposing (v3rpc's checkRangeRequest, checkPutRequest,
/// checkTxnRequest and checkIntervals), so bad requests never reach the log.
/// </summary>
public static class RequestValidator
{
    public static void Range(RangeRequest request)
    {
        if (request.Key.Length == 0)
        {
            throw new StoreException(StoreError.KeyNotProvided);
        }

        if (!Enum.IsDefined(request.SortOrder) || !Enum.IsDefined(request.SortTarget))
        {
            throw new StoreException(StoreError.InvalidSortOption);
        }
    }

    public static void Put(PutRequest request)
    {
        if (request.Key.Length == 0)
        {
            throw new StoreException(StoreError.KeyNotProvided);
        }

        if (request.IgnoreValue && request.Value.Length != 0)
        {
            throw new StoreException(StoreError.ValueProvided);
        }

        if (request.IgnoreLease && request.Lease != 0)
        {
            throw new StoreException(StoreError.LeaseProvided);
        }
    }

    public static void DeleteRange(DeleteRangeRequest request)
    {
        if (request.Key.Length == 0)
        {
            throw new StoreException(StoreError.KeyNotProvided);
        }
    }

    public static void Txn(TxnRequest request)
    {
        CheckOps(request);
        CheckIntervals(request.Success);
        CheckIntervals(request.Failure);
    }

    private static void CheckOps(TxnRequest request)
    {
        if (request.Compare.Length > StoreLimits.MaxTxnOps
            || request.Success.Length > StoreLimits.MaxTxnOps
            || request.Failure.Length > StoreLimits.MaxTxnOps)
        {
            throw new StoreException(StoreError.TooManyOps);
        }

        foreach (Compare compare in request.Compare)
        {
            if (compare.Key.Length == 0)
            {
                throw new StoreException(StoreError.KeyNotProvided);
            }
        }

        foreach (RequestOp op in request.Success.Concat(request.Failure))
        {
            if (op.Range is { } range)
            {
                Range(range);
            }
            else if (op.Put is { } put)
            {
                Put(put);
            }
            else if (op.DeleteRange is { } delete)
            {
                DeleteRange(delete);
            }
            else if (op.Txn is { } nested)
            {
                CheckOps(nested);
            }
        }
    }

    /// <summary>
    /// etcd's duplicate-key rule: within one branch (nested txns included), a key may be put at
    /// most once and never inside a range the branch deletes; the two branches of a nested txn
    /// exclude each other, so they may put the same key.
    /// </summary>
    private static (HashSet<byte[]> Puts, List<KeyRange> Deletes) CheckIntervals(RequestOp[] ops)
    {
        List<KeyRange> deletes = [];
        foreach (RequestOp op in ops)
        {
            if (op.DeleteRange is { } delete)
            {
                deletes.Add(KeyRange.FromRequest(delete.Key, delete.RangeEnd));
            }
        }

        HashSet<byte[]> puts = new(ByteArrayComparer.Instance);
        foreach (RequestOp op in ops)
        {
            if (op.Txn is not { } nested)
            {
                continue;
            }

            (HashSet<byte[]> putsThen, List<KeyRange> deletesThen) = CheckIntervals(nested.Success);
            (HashSet<byte[]> putsElse, List<KeyRange> deletesElse) = CheckIntervals(nested.Failure);
            foreach (byte[] key in putsThen)
            {
                AddPut(puts, deletes, key, allowedAgain: null);
            }

            foreach (byte[] key in putsElse)
            {
                AddPut(puts, deletes, key, allowedAgain: putsThen);
            }

            deletes.AddRange(deletesThen);
            deletes.AddRange(deletesElse);
        }

        foreach (RequestOp op in ops)
        {
            if (op.Put is { } put)
            {
                AddPut(puts, deletes, put.Key, allowedAgain: null);
            }
        }

        return (puts, deletes);
    }

    private static void AddPut(HashSet<byte[]> puts, List<KeyRange> deletes, byte[] key, HashSet<byte[]>? allowedAgain)
    {
        if (puts.Contains(key) && (allowedAgain is null || !allowedAgain.Contains(key)))
        {
            throw new StoreException(StoreError.DuplicateKey);
        }

        foreach (KeyRange deleted in deletes)
        {
            if (deleted.Contains(key))
            {
                throw new StoreException(StoreError.DuplicateKey);
            }
        }

        puts.Add(key);
    }
}
