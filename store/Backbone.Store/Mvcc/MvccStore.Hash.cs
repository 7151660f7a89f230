using Backbone.Core;
using Backbone.Store.Backend;
using Backbone.Store.Index;
using Backbone.Store.Model;

namespace Backbone.Store.Mvcc;

/// <summary>
/// HashKV as etcd 3.4's store.HashByRev computes it, so that replicas at the same revision agree
/// and our number equals etcd's for the same history: the CRC-32C of the bucket name "key", then
/// of each revision record in revision order as etcd's key bucket holds it
/// (<see cref="KeyBucketEncoding"/>). The records hashed for HashKV(at), compaction point C:
/// <list type="bullet">
/// <item>every record with C &lt; main ≤ at, puts and tombstones;</item>
/// <item>at or below C, only each key's value that a read at <c>at</c> still sees (etcd's
/// kvindex.Keep(at)); superseded and deleted ones are skipped whether or not physical compaction
/// has removed them yet, so the answer never depends on how far it got.</item>
/// </list>
/// One etcd quirk is kept on purpose: when no key at all is live at <c>at</c>, etcd's keep set is
/// empty and it skips nothing below C, hashing whatever its backend holds there; once its
/// compaction finished, that is each key's value live at C. We hash that set.
///
/// Worked example: put a@2, put b@3, put a@4, delete b@5, put c@6. HashKV(6) hashes all five
/// records (etcd 3.4.23: 1947802976). After compact(4), HashKV(5) hashes a@4 (seen at 5, at or
/// below 4) and the tombstone b@5, but not a@2 (superseded), b@3 (deleted by 5) nor c@6 (after 5):
/// etcd 3.4.23 answers 1468967122.
///
/// Consistency without a backend snapshot: <see cref="OpenHashView"/> takes, under one read lock,
/// the counters and the list of kept records below C from the in-memory index (no backend reads:
/// the cost of a keys-only range over every key), and registers C in
/// <see cref="hashViewCompactions"/>. Records are then read from FASTER in chunks of
/// <see cref="HashChunkRecords"/>, each under the read lock, so a writer waits for one chunk at
/// most. Between chunks: new writes land above <c>at</c> and are not read; a compaction applied
/// meanwhile deletes nothing from FASTER until the hash is done (the registered C predates it);
/// a snapshot install replaces the whole state, bumps <see cref="stateEpoch"/>, and the hash
/// starts over.
/// </summary>
internal sealed partial class MvccStore
{
    /// <summary>Records read from FASTER per read-lock hold: bounds how long a writer waits behind a HashKV.</summary>
    private const int HashChunkRecords = 1024;

    /// <summary>Snapshot installs a HashKV may run into (each restarts it) before it gives up.</summary>
    private const int HashAttemptsMax = 3;

    /// <summary>
    /// The hash of the history up to <paramref name="requested"/> (0 = the current revision).
    /// Throws FutureRevision above the current revision and Compacted below the compaction point.
    /// Any thread; writers wait for the index pass, then for one chunk at a time.
    /// </summary>
    public HashKvResult HashByRevision(long requested, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            HashView view = OpenHashView(requested);
            try
            {
                if (TryHash(view, cancellationToken, out uint hash))
                {
                    return new HashKvResult(hash, view.CompactRevision, view.CurrentRevision);
                }
            }
            finally
            {
                lock (hashViewCompactions)
                {
                    hashViewCompactions.Remove(view.CompactRevision);
                }
            }

            if (attempt == HashAttemptsMax)
            {
                throw new StoreException(StoreError.Timeout, "snapshot installs kept replacing the store while HashKV read it");
            }
        }
    }

    /// <summary>Checks the revision, registers the view's compaction point (the caller removes it) and lists the kept records below it.</summary>
    private HashView OpenHashView(long requested)
    {
        stateLock.EnterReadLock();
        try
        {
            long current = revision;
            long compacted = compactRevision;
            if (requested > current)
            {
                throw new StoreException(StoreError.FutureRevision);
            }

            // etcd 3.4.23 also refuses requested == compacted; later 3.4 and 3.5 releases accept it
            // (etcd PR 14457: a corruption check right after a compaction asks exactly that), and
            // so does our Range.
            if (requested > 0 && requested < compacted)
            {
                throw new StoreException(StoreError.Compacted);
            }

            long at = requested == 0 ? current : requested;
            lock (hashViewCompactions)
            {
                hashViewCompactions.Add(compacted);
            }

            return new HashView(at, current, compacted, Volatile.Read(ref stateEpoch), KeptAtOrBelowCompaction(at, compacted));
        }
        finally
        {
            stateLock.ExitReadLock();
        }
    }

    /// <summary>The records at or below <paramref name="compacted"/> that HashKV(<paramref name="at"/>) includes, in revision order. Under the read lock.</summary>
    private List<Revision> KeptAtOrBelowCompaction(long at, long compacted)
    {
        List<Revision> seenAtRevision = [];
        if (compacted < 1)
        {
            return seenAtRevision; // never compacted: there is nothing below the first write
        }

        // etcd's fallback set (nothing live at `at`); dropped as soon as one live key shows up.
        List<Revision>? liveAtCompaction = [];
        foreach (KeyHistory history in index.All)
        {
            bool live = history.TryGet(at, out KeyRevision seen);
            if (live)
            {
                liveAtCompaction = null;
            }

            // After a compaction the index holds at most one entry at or below it per key: the one
            // a read at the compaction point sees.
            if (!history.TryGet(compacted, out KeyRevision kept) || kept.Revision.Main > at)
            {
                continue;
            }

            if (live && seen.Revision == kept.Revision)
            {
                seenAtRevision.Add(kept.Revision);
            }
            else
            {
                liveAtCompaction?.Add(kept.Revision);
            }
        }

        List<Revision> chosen = liveAtCompaction ?? seenAtRevision;
        chosen.Sort();
        return chosen;
    }

    /// <summary>Hashes the view's records in revision order; false when a snapshot install replaced the state meanwhile.</summary>
    private bool TryHash(HashView view, CancellationToken cancellationToken, out uint hash)
    {
        hash = KeyBucketEncoding.Begin();
        byte[] scratch = new byte[512]; // grows to the largest record; one per call, HashKV is rare
        List<Revision> kept = view.Kept;
        for (int i = 0; i < kept.Count;)
        {
            if (!EnterHashChunk(view, cancellationToken))
            {
                return false;
            }

            try
            {
                for (int end = Math.Min(i + HashChunkRecords, kept.Count); i < end; i++)
                {
                    RevisionRecord record = LoadRecord(kept[i])
                        ?? throw new InvalidOperationException($"index names revision {kept[i]} but FASTER has no record of it");
                    hash = KeyBucketEncoding.Append(hash, kept[i], record, ref scratch);
                }
            }
            finally
            {
                stateLock.ExitReadLock();
            }
        }

        // Every revision above the compaction point: its changes are sub-revisions 0, 1, ... with
        // no gap, so the first miss ends the revision (revision 1, before any write, has none).
        Revision next = new(Math.Max(view.CompactRevision + 1, 1), 0);
        while (next.Main <= view.At)
        {
            if (!EnterHashChunk(view, cancellationToken))
            {
                return false;
            }

            try
            {
                for (int probes = 0; probes < HashChunkRecords && next.Main <= view.At; probes++)
                {
                    if (LoadRecord(next) is { } record)
                    {
                        hash = KeyBucketEncoding.Append(hash, next, record, ref scratch);
                        next = next with { Sub = next.Sub + 1 };
                    }
                    else
                    {
                        next = new Revision(next.Main + 1, 0);
                    }
                }
            }
            finally
            {
                stateLock.ExitReadLock();
            }
        }

        return true;
    }

    /// <summary>True while a HashKV opened before the compaction at <paramref name="latestCompaction"/> runs. Under the write lock.</summary>
    private bool HashViewPredates(long latestCompaction)
    {
        lock (hashViewCompactions)
        {
            foreach (long compacted in hashViewCompactions)
            {
                if (compacted < latestCompaction)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Takes the read lock for one chunk; false (lock not held) when a snapshot replaced the state since the view was taken.</summary>
    private bool EnterHashChunk(HashView view, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        stateLock.EnterReadLock();
        if (Volatile.Read(ref stateEpoch) == view.Epoch)
        {
            return true;
        }

        stateLock.ExitReadLock();
        return false;
    }

    /// <summary>What one HashKV reads: up to <see cref="At"/>, above <see cref="CompactRevision"/>, plus <see cref="Kept"/>.</summary>
    private readonly record struct HashView(long At, long CurrentRevision, long CompactRevision, long Epoch, List<Revision> Kept);
}
