using Backbone.Core;
using Backbone.Store.Backend;
using Backbone.Store.Commands;
using Backbone.Store.Leases;
using Backbone.Store.Log;
using Backbone.Store.Model;
using Backbone.Store.Mvcc;
using Backbone.Store.Watch;

namespace Backbone.Store;

/// <summary>
/// The store as the server sees it: reads served from the MVCC state, writes proposed to the
/// command log and answered once durable and applied, watches, leases and their expiry.
/// Open with <see cref="Open"/>; dispose to stop cleanly (final checkpoint).
/// </summary>
public sealed class StoreEngine : IAsyncDisposable
{
    private static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(500);

    private readonly FasterBackend backend;
    private readonly MvccStore mvcc;
    private readonly ICommandLog log;
    private readonly StoreApplier applier;
    private readonly LeaseExpiry expiry;
    private readonly Random random;
    private readonly ITimer ticker;
    private readonly TimeProvider time;
    private readonly TimeSpan progressNotifyInterval;
    private long lastProgressNotifyTicks;
    private int expiring;
    private bool wasLeader;

    private StoreEngine(StoreOptions options, TimeProvider time, Random random, Action<string> note, Func<StoreApplier, ICommandLog>? openLog)
    {
        this.time = time;
        this.random = random;
        progressNotifyInterval = options.ProgressNotifyInterval;
        lastProgressNotifyTicks = time.GetTimestamp();
        Directory.CreateDirectory(options.DataDir);
        backend = new FasterBackend(options);
        WriteAheadLog? wal = null;
        try
        {
            mvcc = new MvccStore(backend);
            applier = new StoreApplier(mvcc, backend, options, time, AfterBatch);
            if (openLog is null)
            {
                wal = WriteAheadLog.Open(Path.Combine(options.DataDir, "wal"), options.WalSegmentBytes, options.UnsafeNoFsync);
                if (wal.TornTailNote is { } torn)
                {
                    note(torn);
                }

                Replay(wal, options.DataDir);
            }

            expiry = new LeaseExpiry(time);
            foreach ((long id, long ttl) in mvcc.LiveLeases())
            {
                expiry.Track(id, ttl); // every lease gets its full TTL again after a restart
            }

            mvcc.DrainChanges();
            mvcc.DrainLeaseChanges();
            Hub = new WatchHub(mvcc, options.WatcherBufferEvents);
            applier.SnapshotInstalled = () =>
            {
                mvcc.DrainChanges();
                mvcc.DrainLeaseChanges();
                expiry.ReplaceAll(mvcc.LiveLeases());
                Hub.Resync();
            };
            log = openLog is null ? new LocalCommandLog(wal!, applier, options) : openLog(applier);
        }
        catch
        {
            wal?.Dispose();
            backend.Dispose();
            throw;
        }

        wasLeader = log.IsLeader; // leases were tracked above; a later promotion re-tracks them
        ticker = time.CreateTimer(_ => OnTick(), null, TickPeriod, TickPeriod);
    }

    public WatchHub Hub { get; }

    public long Revision => mvcc.Revision;

    public StoreStatus Status => new(mvcc.Revision, mvcc.CompactRevision, mvcc.AppliedIndex, mvcc.DbSizeBytes, mvcc.LeaseCount);

    /// <summary>Opens (or creates) the data directory, recovers and replays. <paramref name="note"/> receives start-up notices.</summary>
    /// <param name="openLog">
    /// Opens the command log over the store's applier; null for the single-node local WAL. A
    /// replicated log replays what it committed before the crash itself (positions at or below
    /// <see cref="StoreApplier.AppliedPosition"/> are skipped).
    /// </param>
    public static StoreEngine Open(StoreOptions options, TimeProvider? time = null, Random? random = null, Action<string>? note = null, Func<StoreApplier, ICommandLog>? openLog = null) =>
        new(options, time ?? TimeProvider.System, random ?? Random.Shared, note ?? (_ => { }), openLog);

    /// <summary>The apply side (tests drive snapshots through it).</summary>
    internal StoreApplier Applier => applier;

    /// <summary>The command log (the local WAL, or Raft).</summary>
    public ICommandLog Log => log;

    public RangeResult Range(RangeRequest request)
    {
        RequestValidator.Range(request);
        return mvcc.Range(request);
    }

    /// <summary>
    /// A Range that is linearizable unless <see cref="RangeRequest.Serializable"/>: waits for the
    /// log's read barrier first (immediate on a single node, ReadIndex in a cluster).
    /// </summary>
    public async ValueTask<RangeResult> RangeAsync(RangeRequest request, CancellationToken cancellationToken)
    {
        RequestValidator.Range(request);
        if (!request.Serializable)
        {
            Task barrier = log.ReadBarrierAsync(cancellationToken);
            if (!barrier.IsCompletedSuccessfully)
            {
                await barrier.ConfigureAwait(false);
            }
        }

        return mvcc.Range(request);
    }

    public async Task<PutResult> PutAsync(PutRequest request, CancellationToken cancellationToken)
    {
        RequestValidator.Put(request);
        return (PutResult)await ProposeAsync(new WriteCommand { Op = new RequestOp { Put = request } }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<DeleteRangeResult> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken)
    {
        RequestValidator.DeleteRange(request);
        return (DeleteRangeResult)await ProposeAsync(new WriteCommand { Op = new RequestOp { DeleteRange = request } }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A txn. One that only reads is served as etcd serves it: after the read barrier (none when
    /// every range is serializable), at the current revision, without a log entry, a flush on every
    /// member, or a revision. Every node's agent reads its state this way every 5 s.
    /// </summary>
    public async Task<TxnResult> TxnAsync(TxnRequest request, CancellationToken cancellationToken)
    {
        RequestValidator.Txn(request);
        if (request.IsReadOnly())
        {
            if (!request.IsSerializable())
            {
                await log.ReadBarrierAsync(cancellationToken).ConfigureAwait(false);
            }

            return mvcc.ReadTxn(request);
        }

        return (TxnResult)await ProposeAsync(new WriteCommand { Op = new RequestOp { Txn = request } }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Compacts history up to <paramref name="revision"/>; with <paramref name="physical"/>, waits until the records have left FASTER.</summary>
    public async Task<CompactResult> CompactAsync(long revision, bool physical, CancellationToken cancellationToken)
    {
        var result = (CompactResult)await ProposeAsync(new CompactCommand { Revision = revision }, cancellationToken).ConfigureAwait(false);
        if (physical)
        {
            await log.WhenPhysicalCompactionDoneAsync(cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// etcd's HashKV: a hash of the history up to <paramref name="revision"/> (0 = current) that
    /// every replica at that revision computes alike (see <see cref="MvccStore.HashByRevision"/>).
    /// Served from this node's state, with no read barrier, as etcd does.
    /// </summary>
    public HashKvResult HashKv(long revision, CancellationToken cancellationToken) =>
        mvcc.HashByRevision(revision, cancellationToken);

    /// <summary>
    /// etcd's Defragment, for this node only: finishes the physical compaction in progress (the
    /// compacted revisions leave FASTER), then takes a FASTER checkpoint and waits for it, so that
    /// the command log behind it can be truncated. FASTER's log file is not shrunk (see
    /// docs/operations.md, "Checking replicas and defragmenting").
    /// </summary>
    public async Task DefragmentAsync(CancellationToken cancellationToken)
    {
        await log.WhenPhysicalCompactionDoneAsync(cancellationToken).ConfigureAwait(false);
        await applier.CheckpointNowAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<LeaseGrantResult> LeaseGrantAsync(long id, long ttlSeconds, CancellationToken cancellationToken)
    {
        if (ttlSeconds > StoreLimits.MaxLeaseTtlSeconds)
        {
            throw new StoreException(StoreError.LeaseTtlTooLarge);
        }

        ttlSeconds = Math.Max(ttlSeconds, StoreLimits.MinLeaseTtlSeconds);
        if (id == 0)
        {
            id = random.NextInt64(1, long.MaxValue); // chosen before proposing: apply stays deterministic
        }

        return (LeaseGrantResult)await ProposeAsync(new LeaseGrantCommand { Id = id, TtlSeconds = ttlSeconds }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<LeaseRevokeResult> LeaseRevokeAsync(long id, CancellationToken cancellationToken) =>
        (LeaseRevokeResult)await ProposeAsync(new LeaseRevokeCommand { Id = id }, cancellationToken).ConfigureAwait(false);

    /// <summary>Renews a lease; returns its TTL, or 0 when it is unknown or expired (etcd's keep-alive answer).</summary>
    public long LeaseKeepAlive(long id) => mvcc.LeaseExists(id) ? expiry.Renew(id) : 0;

    /// <summary>A lease's remaining and granted TTL (and keys); TTL -1 for an unknown lease, as etcd.</summary>
    public LeaseTimeToLiveResult LeaseTimeToLive(long id, bool withKeys)
    {
        if (!mvcc.TryGetLease(id, withKeys, out long granted, out IReadOnlyList<byte[]> keys)
            || !expiry.TryGetRemaining(id, out long remaining))
        {
            return new LeaseTimeToLiveResult(id, -1, 0, [], mvcc.Revision);
        }

        return new LeaseTimeToLiveResult(id, remaining, granted, keys, mvcc.Revision);
    }

    public IReadOnlyList<long> Leases() => [.. mvcc.LiveLeases().Select(l => l.Id)];

    public WatchStream OpenWatchStream() => Hub.OpenStream();

    public async ValueTask DisposeAsync()
    {
        await ticker.DisposeAsync().ConfigureAwait(false);
        Hub.Stop();
        await log.DisposeAsync().ConfigureAwait(false);
        mvcc.Dispose();
        backend.Dispose();
    }

    private Task<object> ProposeAsync(StoreCommand command, CancellationToken cancellationToken) =>
        log.ProposeAsync(command, cancellationToken);

    private void Replay(WriteAheadLog wal, string dataDir)
    {
        long applied = mvcc.AppliedIndex;
        if (wal.FirstIndex > applied + 1 || wal.LastIndex < applied)
        {
            throw new StoreCorruptException(
                Path.Combine(dataDir, "wal"),
                $"the WAL holds entries {wal.FirstIndex}..{wal.LastIndex} but the FASTER checkpoint needs it to continue from {applied + 1}");
        }

        applier.Replay(wal.ReadFrom(applied + 1).Select(entry => (entry.Index, StoreCommand.Deserialize(entry.Payload))));
    }

    /// <summary>After each applied batch, on the thread holding the log's turn: feed watchers and lease expiry.</summary>
    private void AfterBatch()
    {
        Hub.Publish(mvcc.DrainChanges(), mvcc.Revision);
        foreach ((long id, long ttl, bool granted) in mvcc.DrainLeaseChanges())
        {
            if (granted)
            {
                expiry.Track(id, ttl);
            }
            else
            {
                expiry.Forget(id);
            }
        }
    }

    private void OnTick()
    {
        log.Tick();
        if (time.GetElapsedTime(Interlocked.Read(ref lastProgressNotifyTicks)) >= progressNotifyInterval)
        {
            Interlocked.Exchange(ref lastProgressNotifyTicks, time.GetTimestamp());
            Hub.NotifyProgress();
        }

        // Only the leader revokes expired leases (the revocation is a command like any other). A
        // new leader first gives every lease its full TTL again, as etcd's lessor does on
        // promotion: the old leader's timers (and the keep-alives it saw) are gone with it.
        bool leader = log.IsLeader;
        if (leader && !wasLeader)
        {
            foreach ((long id, long ttl) in mvcc.LiveLeases())
            {
                expiry.Track(id, ttl);
            }
        }

        wasLeader = leader;
        if (leader && Interlocked.Exchange(ref expiring, 1) == 0)
        {
            _ = RevokeExpiredAsync();
        }
    }

    private async Task RevokeExpiredAsync()
    {
        try
        {
            foreach (long id in expiry.TakeExpired())
            {
                try
                {
                    await log.ProposeAsync(new LeaseRevokeCommand { Id = id }, CancellationToken.None).ConfigureAwait(false);
                }
                catch (StoreException e) when (e.Error == StoreError.LeaseNotFound)
                {
                    expiry.Forget(id); // revoked meanwhile by a client
                }
            }
        }
        catch (StoreException)
        {
            // Stopping; expired leases are revoked after the restart.
        }
        finally
        {
            Volatile.Write(ref expiring, 0);
        }
    }
}
