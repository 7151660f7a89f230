using Backbone.Core;
using Backbone.Store.Backend;
using Backbone.Store.Index;
using MessagePack;

namespace Backbone.Store.Mvcc;

internal sealed partial class MvccStore
{
    /// <summary>
    /// Rebuilds the index and leases from what FASTER recovered (its last checkpoint). Records of a
    /// command that the checkpoint cut in half (newer than the meta record) are ignored: replaying the
    /// log writes them again, identically.
    /// </summary>
    private void Recover()
    {
        Span<byte> metaKey = stackalloc byte[FasterKey.Length];
        FasterKey.WriteMeta(metaKey);
        ReadOnlyMemory<byte>? metaBytes = backend.TryRead(metaKey);
        // A fresh store is at revision 1, as etcd's (mvcc starts currentRev at 1): an empty store
        // answers revision 1 and the first write is revision 2. Clients see these numbers.
        // Never compacted is -1, as etcd's compactMainRev: compacting at 0 (or 1) then succeeds once.
        StoreMeta meta = metaBytes is null ? new StoreMeta { Revision = 1, CompactRevision = -1 } : MessagePackSerializer.Deserialize<StoreMeta>(metaBytes.Value);

        Dictionary<Revision, RevisionRecord> records = [];
        Dictionary<long, LeaseRecord?> leaseRecords = [];
        backend.Scan((key, value, tombstone) =>
        {
            switch (key[0])
            {
                case FasterKey.RevisionTag:
                    Revision at = FasterKey.ReadRevision(key);
                    if (tombstone)
                    {
                        // Newest wins, in log order: a snapshot install deletes every record
                        // and may write the same revision again after its tombstone.
                        records.Remove(at);
                    }
                    else if (at.Main <= meta.Revision)
                    {
                        records[at] = MessagePackSerializer.Deserialize<RevisionRecord>(value.ToArray());
                    }

                    break;
                case FasterKey.LeaseTag:
                    // Later log positions hold newer versions of the same lease record.
                    long id = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(key[1..]);
                    leaseRecords[id] = tombstone ? null : MessagePackSerializer.Deserialize<LeaseRecord>(value.ToArray());
                    break;
            }
        });

        VerifyIndexFinds(records.Keys);

        foreach (LeaseRecord? record in leaseRecords.Values)
        {
            bool live = record is not null
                && record.GrantIndex <= meta.AppliedIndex
                && (record.RevokeIndex == 0 || record.RevokeIndex > meta.AppliedIndex);
            if (live)
            {
                leases.Add(record!.Id, record.TtlSeconds);
            }
        }

        Dictionary<byte[], long> latestLease = new(ByteArrayComparer.Instance);
        foreach ((Revision at, RevisionRecord record) in records.OrderBy(r => r.Key))
        {
            index.Restore(record.Key, new KeyRevision(at, record.CreateRevision, record.Version, record.Tombstone, record.Lease));
            latestLease[record.Key] = record.Tombstone ? 0 : record.Lease;
        }

        foreach ((byte[] key, long lease) in latestLease)
        {
            leases.Attach(lease, key);
        }

        revision = meta.Revision;
        compactRevision = meta.CompactRevision;
        appliedIndex = meta.AppliedIndex;

        // Finish a physical compaction the crash interrupted.
        foreach (Revision dead in index.Compact(compactRevision))
        {
            physicalDeletes.Enqueue(dead);
        }
    }

    /// <summary>
    /// FASTER's index checkpoint carries no checksum: prove it finds every record the scan saw,
    /// so a damaged index stops the node now instead of losing keys later.
    /// </summary>
    private void VerifyIndexFinds(IEnumerable<Revision> revisions)
    {
        byte[] key = new byte[FasterKey.Length];
        foreach (Revision at in revisions)
        {
            FasterKey.WriteRevision(key, at);
            bool found;
            try
            {
                found = backend.TryRead(key) is not null;
            }
            catch (Exception e) when (e is not StoreCorruptException)
            {
                throw new StoreCorruptException(backend.CheckpointDir, $"the recovered FASTER index fails on revision {at}: {e.Message}", e);
            }

            if (!found)
            {
                throw new StoreCorruptException(backend.CheckpointDir, $"the recovered FASTER index does not find revision {at}, which the log holds: the index checkpoint is damaged");
            }
        }
    }
}
