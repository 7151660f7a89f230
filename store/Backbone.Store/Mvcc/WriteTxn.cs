using Backbone.Core;
using Backbone.Store.Backend;
using Backbone.Store.Index;
using Backbone.Store.Model;
using MessagePack;

namespace Backbone.Store.Mvcc;

/// <summary>
/// The changes of one command at one main revision: each put or delete takes the next
/// sub-revision, writes its record to FASTER and updates index and leases at once, so later
/// operations of the same txn see it. <see cref="Commit"/> advances the store revision when
/// anything changed (a delete of nothing and a read-only txn do not bump it, as in etcd).
/// Runs under the store's write lock.
/// </summary>
internal sealed partial class MvccStore
{
    private sealed class WriteTxn(MvccStore store, long main)
    {
        private long sub;

        /// <summary>Reads inside the txn see its own writes once it has any.</summary>
        public long ReadRevision => sub > 0 ? main : store.revision;

        public bool KeyExists(byte[] key)
        {
            KeyHistory? history = store.index.Find(key);
            return history is not null && history.TryGet(ReadRevision, out _);
        }

        public PutResult Put(PutRequest put)
        {
            KeyRevision prevEntry = default;
            KeyHistory? history = store.index.Find(put.Key);
            bool existed = history is not null && history.TryGet(ReadRevision, out prevEntry);
            // The previous value costs a backend read: only prev_kv and ignore_value need it.
            KeyValue? previous = existed ? store.LoadKeyValue(put.Key, prevEntry, withValue: put.PrevKv || put.IgnoreValue) : null;
            byte[] value = put.IgnoreValue ? previous!.Value : put.Value;
            long lease = put.IgnoreLease ? previous!.Lease : put.Lease;

            Revision at = new(main, sub++);
            KeyRevision entry = store.index.Put(put.Key, at, lease);
            KeyValue kv = new()
            {
                Key = put.Key,
                Value = value,
                CreateRevision = entry.CreateRevision,
                ModRevision = main,
                Version = entry.Version,
                Lease = lease,
            };
            WriteRecord(at, new RevisionRecord
            {
                Key = put.Key,
                Value = value,
                CreateRevision = kv.CreateRevision,
                ModRevision = main,
                Version = kv.Version,
                Lease = lease,
            });

            if (previous is not null && previous.Lease != lease)
            {
                store.leases.Detach(previous.Lease, put.Key);
            }

            store.leases.Attach(lease, put.Key);
            store.changes.Add(new ChangeEvent(WatchEventType.Put, kv, at));
            return new PutResult(put.PrevKv ? previous : null, main);
        }

        public DeleteRangeResult DeleteRange(DeleteRangeRequest delete)
        {
            long readAt = ReadRevision;
            List<(byte[] Key, KeyRevision Entry)> live = [];
            foreach (KeyHistory history in store.index.Histories(KeyRange.FromRequest(delete.Key, delete.RangeEnd)))
            {
                if (history.TryGet(readAt, out KeyRevision entry))
                {
                    live.Add((history.Key, entry));
                }
            }

            List<KeyValue> prevKvs = [];
            foreach ((byte[] key, KeyRevision entry) in live)
            {
                KeyValue previous = store.LoadKeyValue(key, entry, withValue: delete.PrevKv);
                if (delete.PrevKv)
                {
                    prevKvs.Add(previous);
                }

                Revision at = new(main, sub++);
                store.index.Tombstone(key, at);
                WriteRecord(at, new RevisionRecord { Key = key, ModRevision = main, Tombstone = true });
                store.leases.Detach(previous.Lease, key);
                store.changes.Add(new ChangeEvent(WatchEventType.Delete, new KeyValue { Key = key, ModRevision = main }, at));
            }

            return new DeleteRangeResult(live.Count, prevKvs, ReadRevision);
        }

        public void Commit()
        {
            if (sub > 0)
            {
                Volatile.Write(ref store.revision, main);
            }
        }

        private void WriteRecord(Revision at, RevisionRecord record)
        {
            Span<byte> key = stackalloc byte[FasterKey.Length];
            FasterKey.WriteRevision(key, at);
            store.backend.Upsert(key, MessagePackSerializer.Serialize(record));
        }
    }
}
