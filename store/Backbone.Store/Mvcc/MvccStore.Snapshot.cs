using Backbone.Store.Index;
using Backbone.Store.Leases;
using Backbone.Store.Snapshots;

namespace Backbone.Store.Mvcc;

internal sealed partial class MvccStore
{
    /// <summary>Writes the whole state (every live FASTER record, meta included). Apply thread only, between batches.</summary>
    public void WriteSnapshot(Stream output)
    {
        stateLock.EnterReadLock();
        try
        {
            SnapshotFormat.Write(output, backend.LiveRecords());
        }
        finally
        {
            stateLock.ExitReadLock();
        }
    }

    /// <summary>
    /// Replaces the whole state with a verified snapshot's records and rebuilds the index, leases
    /// and counters from them as a restart would. Apply thread only; the caller checkpoints after.
    /// </summary>
    public void ReplaceWith(Stream verifiedSnapshot)
    {
        stateLock.EnterWriteLock();
        try
        {
            Interlocked.Increment(ref stateEpoch);
            backend.DeleteAll();
            foreach ((byte[] key, byte[] value) in SnapshotFormat.Read(verifiedSnapshot))
            {
                backend.Upsert(key, value);
            }

            index = new KeyIndex();
            leases = new LeaseTable();
            physicalDeletes.Clear();
            changes = [];
            leaseChanges = [];
            Recover();
        }
        finally
        {
            stateLock.ExitWriteLock();
        }
    }
}
