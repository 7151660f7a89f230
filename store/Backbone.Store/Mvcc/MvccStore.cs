using Backbone.Core;
using Backbone.Store.Backend;
using Backbone.Store.Commands;
using Backbone.Store.Index;
using Backbone.Store.Leases;
using Backbone.Store.Model;
using MessagePack;

namespace Backbone.Store.Mvcc;

/// <summary>
/// The MVCC state machine: the key index, leases and revision counters over the FASTER backend.
/// Commands are applied by one thread in log order (<see cref="Apply"/>); reads run on any thread.
///
/// Lock order: <see cref="stateLock"/>, then <see cref="hashViewCompactions"/> (a leaf, held for a
/// list operation only); nothing is awaited while either is held. Writers (apply, physical
/// compaction) take the state lock for writing, readers for reading.
/// </summary>
internal sealed partial class MvccStore : IDisposable
{
    private readonly ReaderWriterLockSlim stateLock = new(LockRecursionPolicy.NoRecursion);
    private KeyIndex index = new(); // replaced whole by a snapshot install
    private LeaseTable leases = new();
    private readonly FasterBackend backend;

    // Apply-thread state, published to readers through the lock.
    private long revision;
    private long compactRevision;
    private long appliedIndex;

    /// <summary>Revision records dropped by a logical compaction, awaiting deletion from FASTER (apply thread only).</summary>
    private readonly Queue<Revision> physicalDeletes = new();

    /// <summary>
    /// The compaction point of each HashKV in progress. While one of them predates the latest
    /// compaction, physical compaction deletes nothing: that compaction dropped records the older
    /// view still reads between its chunks (see MvccStore.Hash.cs). Views opened after the latest
    /// compaction do not hold it up, so HashKV calls in a row never starve it. Guarded by itself;
    /// added to under the read lock, tested under the write lock.
    /// </summary>
    private readonly List<long> hashViewCompactions = [];

    /// <summary>Bumped (under the write lock) when a snapshot replaces the whole state: a HashKV that sees it change starts over.</summary>
    private long stateEpoch;

    /// <summary>Changes applied since the last <see cref="DrainChanges"/> (apply thread only).</summary>
    private List<ChangeEvent> changes = [];

    /// <summary>Lease grants and revokes since the last <see cref="DrainLeaseChanges"/> (apply thread only).</summary>
    private List<(long Id, long TtlSeconds, bool Granted)> leaseChanges = [];

    public MvccStore(FasterBackend backend)
    {
        this.backend = backend;
        Recover();
    }

    public long Revision => Volatile.Read(ref revision);

    public long CompactRevision => Volatile.Read(ref compactRevision);

    public long AppliedIndex => Volatile.Read(ref appliedIndex);

    public long DbSizeBytes => backend.LogSizeBytes;

    /// <summary>Compacted records still in FASTER. Apply thread only (the queue is unsynchronized).</summary>
    public int PendingPhysicalDeletes => physicalDeletes.Count;

    /// <summary>
    /// Applies one committed command. Returns its result, or throws <see cref="StoreException"/>
    /// for a deterministic refusal (state unchanged, the entry still consumed). Apply thread only;
    /// the caller ends each batch with <see cref="PersistMeta"/>.
    /// </summary>
    public object Apply(long logIndex, StoreCommand command)
    {
        stateLock.EnterWriteLock();
        try
        {
            if (logIndex <= appliedIndex)
            {
                throw new InvalidOperationException($"log index {logIndex} applied twice (applied up to {appliedIndex})");
            }

            try
            {
                return command switch
                {
                    WriteCommand write => ApplyWrite(write.Op),
                    CompactCommand compact => ApplyCompact(compact.Revision),
                    LeaseGrantCommand grant => ApplyLeaseGrant(logIndex, grant),
                    LeaseRevokeCommand revoke => ApplyLeaseRevoke(logIndex, revoke.Id),
                    FenceCommand => new FenceResult(revision),
                    _ => throw new InvalidOperationException($"unknown command {command.GetType().Name}"),
                };
            }
            finally
            {
                Volatile.Write(ref appliedIndex, logIndex);
            }
        }
        finally
        {
            stateLock.ExitWriteLock();
        }
    }

    /// <summary>Takes the changes applied since the last call, in revision order (apply thread only).</summary>
    public List<ChangeEvent> DrainChanges()
    {
        List<ChangeEvent> drained = changes;
        changes = [];
        return drained;
    }

    /// <summary>Takes the lease grants and revokes applied since the last call (apply thread only).</summary>
    public List<(long Id, long TtlSeconds, bool Granted)> DrainLeaseChanges()
    {
        List<(long Id, long TtlSeconds, bool Granted)> drained = leaseChanges;
        leaseChanges = [];
        return drained;
    }

    /// <summary>Deletes up to <paramref name="max"/> compacted revision records from FASTER (apply thread only).</summary>
    public int RunPhysicalCompactionStep(int max)
    {
        if (physicalDeletes.Count == 0)
        {
            return 0;
        }

        Span<byte> key = stackalloc byte[FasterKey.Length];
        int done = 0;
        stateLock.EnterWriteLock();
        try
        {
            if (HashViewPredates(compactRevision))
            {
                return 0; // a later turn deletes them, once that HashKV is done
            }

            while (done < max && physicalDeletes.TryDequeue(out Revision dead))
            {
                FasterKey.WriteRevision(key, dead);
                backend.Delete(key);
                done++;
            }
        }
        finally
        {
            stateLock.ExitWriteLock();
        }

        return done;
    }

    public void Dispose() => stateLock.Dispose();

    /// <summary>
    /// Records the applied index and revisions in FASTER. Called once per applied batch (apply
    /// thread), as the batch's last write: recovery ignores any record of a later command that a
    /// checkpoint caught before its batch's meta record (see <see cref="StoreMeta"/>).
    /// </summary>
    public void PersistMeta()
    {
        Span<byte> key = stackalloc byte[FasterKey.Length];
        FasterKey.WriteMeta(key);
        StoreMeta meta = new() { AppliedIndex = appliedIndex, Revision = revision, CompactRevision = compactRevision };
        backend.Upsert(key, MessagePackSerializer.Serialize(meta));
    }

    /// <summary>A key at one of its revisions; the backend is read only when the value is wanted.</summary>
    private KeyValue LoadKeyValue(byte[] key, KeyRevision entry, bool withValue)
    {
        byte[] value = [];
        if (withValue)
        {
            RevisionRecord record = LoadRecord(entry.Revision)
                ?? throw new InvalidOperationException($"index names revision {entry.Revision} but FASTER has no record of it");
            value = record.Value;
        }

        return new KeyValue
        {
            Key = key,
            Value = value,
            CreateRevision = entry.CreateRevision,
            ModRevision = entry.Revision.Main,
            Version = entry.Version,
            Lease = entry.Lease,
        };
    }

    private RevisionRecord? LoadRecord(Revision at)
    {
        Span<byte> key = stackalloc byte[FasterKey.Length];
        FasterKey.WriteRevision(key, at);
        ReadOnlyMemory<byte>? bytes = backend.TryRead(key);
        return bytes is null ? null : MessagePackSerializer.Deserialize<RevisionRecord>(bytes.Value);
    }
}
