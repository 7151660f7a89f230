namespace Backbone.Store.Mvcc;

internal sealed partial class MvccStore
{
    public int LeaseCount
    {
        get
        {
            stateLock.EnterReadLock();
            try
            {
                return leases.Count;
            }
            finally
            {
                stateLock.ExitReadLock();
            }
        }
    }

    public bool LeaseExists(long id)
    {
        stateLock.EnterReadLock();
        try
        {
            return leases.Contains(id);
        }
        finally
        {
            stateLock.ExitReadLock();
        }
    }

    public bool TryGetLease(long id, bool withKeys, out long ttlSeconds, out IReadOnlyList<byte[]> keys)
    {
        stateLock.EnterReadLock();
        try
        {
            if (!leases.TryGet(id, out var lease))
            {
                ttlSeconds = 0;
                keys = [];
                return false;
            }

            ttlSeconds = lease.TtlSeconds;
            keys = withKeys ? [.. lease.Keys] : [];
            return true;
        }
        finally
        {
            stateLock.ExitReadLock();
        }
    }

    public List<(long Id, long TtlSeconds)> LiveLeases()
    {
        stateLock.EnterReadLock();
        try
        {
            return [.. leases.All.Select(l => (l.Id, l.TtlSeconds))];
        }
        finally
        {
            stateLock.ExitReadLock();
        }
    }
}
