using System.Buffers;
using System.Collections.Concurrent;
using Backbone.Store.Commands;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Store.Raft;

/// <summary>
/// DotNext's view of the store: every committed Raft entry (a <see cref="ProposalBatch"/>) is
/// applied through the <see cref="StoreApplier"/> at positions derived from the entry index
/// (<see cref="LogPositions"/>), so every replica computes the same revisions. Entries the store
/// already holds (replayed after a restart, or covered by an installed snapshot) are skipped:
/// the store's applied position is the truth, not DotNext's replay start.
/// DotNext never calls <see cref="ApplyAsync"/> concurrently.
/// </summary>
internal sealed partial class StoreStateMachine : IStateMachine
{
    private readonly StoreApplier applier;
    private readonly string directory;
    private readonly Action<IReadOnlyList<Proposal>, object[]> applied;

    /// <summary>(entry, term) of applied store entries not yet covered by a checkpoint: a checkpoint's descriptor needs its entry's term.</summary>
    private readonly ConcurrentQueue<(long Index, long Term)> appliedTerms = new();
    private readonly Lock snapshotGate = new();
    private StoreSnapshot? snapshot;

    /// <summary>The last checkpoint's descriptor: the next snapshot once another checkpoint completes (guarded by <see cref="snapshotGate"/>).</summary>
    private SnapshotDescriptor? latestCheckpoint;

    /// <summary>A checkpoint's descriptor waiting to become the snapshot (see <see cref="PublishNewer"/>).</summary>
    private SnapshotDescriptor? toPublish;

    /// <summary>How long a snapshot stays after it began going to a member: its install (one DotNext request, RaftNode's request timeout) and the first entries after it.</summary>
    private static readonly TimeSpan SendHold = TimeSpan.FromSeconds(10);
    private long appliedEntry;
    private TaskCompletionSource appliedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One apply at a time: DotNext's calls and the settling of deferred entries.</summary>
    private readonly SemaphoreSlim applyTurn = new(1, 1);

    /// <summary>Must run before DotNext's WAL is made: the WAL replays from <see cref="Snapshot"/>'s index.</summary>
    private readonly Action<string> note;

    private const string IncomingFile = "incoming.snap";

    public StoreStateMachine(StoreApplier applier, string directory, Action<IReadOnlyList<Proposal>, object[]> applied, Action<string>? note = null)
    {
        this.note = note ?? (_ => { });
        this.applier = applier;
        this.directory = directory;
        this.applied = applied;
        appliedEntry = LogPositions.EntryOf(applier.AppliedPosition);
        if (SnapshotDescriptor.Load(directory) is { } descriptor)
        {
            if (descriptor.Index > appliedEntry)
            {
                throw new StoreCorruptException(Path.Combine(directory, "snapshot.json"),
                    $"the Raft log was truncated up to entry {descriptor.Index}, but the store only holds entries up to {appliedEntry}: the FASTER checkpoint is older than it should be");
            }

            snapshot = new StoreSnapshot(descriptor, applier, directory, OnResent, OnSending);
        }

        // Dumps a killed process was sending or receiving.
        if (Directory.Exists(directory))
        {
            foreach (string stale in Directory.EnumerateFiles(directory, StoreSnapshot.FilePattern).Append(Path.Combine(directory, IncomingFile)))
            {
                File.Delete(stale);
            }
        }

        applier.CheckpointCompleted = OnCheckpointed;
    }

    /// <summary>The last Raft entry whose effects are in the store.</summary>
    public long AppliedEntry => Volatile.Read(ref appliedEntry);

    /// <summary>Set when applying failed for a reason other than a deterministic refusal: the node must stop serving.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>
    /// Completes, with the reason, when this member can heal only by restarting: its log needs a
    /// <see cref="LogRepair"/>, or a snapshot install failed (DotNext's WAL then refuses every
    /// later call; after a restart the member asks for the snapshot again).
    /// </summary>
    public Task<string> RestartNeeded => restartNeeded.Task;

    private readonly TaskCompletionSource<string> restartNeeded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void RequestRestart(string reason) => restartNeeded.TrySetResult(reason);

    /// <summary>The entry the last checkpoint covers: DotNext truncates its log up to it and sends it to members behind it.</summary>
    public ISnapshot? Snapshot => Volatile.Read(ref snapshot);

    /// <summary>
    /// DotNext's state version: a member refuses appends, snapshots and votes from one with a
    /// higher version. 2: followers flush before they answer (<see cref="FlushedAppendLog"/>), and
    /// leaders rely on it, applying what DotNext commits at once. A version-1 follower answers
    /// unflushed, so a version-2 leader must not count it: it gets "unsupported version" until it
    /// is upgraded (a rolling upgrade keeps a quorum of upgraded members, one at a time).
    /// </summary>
    public int Version => 2;

    public async ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.IsSnapshot)
        {
            await InstallAsync(entry, token).ConfigureAwait(false);
            return entry.Index;
        }

        await applyTurn.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (entry.CommandId == ProposalBatch.CommandId)
            {
                if (Tracing)
                {
                    Trace($"delivered {entry.Index} term {entry.Term} (applied {AppliedEntry}, deferred from {Volatile.Read(ref deferredFrom)}, durable {Volatile.Read(ref durableThrough)})");
                }
            }

            if (entry.Index <= AppliedEntry)
            {
                return entry.Index; // the store holds it already (replay after a checkpoint, or a snapshot)
            }

            // Not yet known to be on a quorum's disks (replay after a restart), or after such an
            // entry: left to SettleAsync, which reads it back from the log later.
            if (!live || Deferring)
            {
                await HoldAsync(entry, token).ConfigureAwait(false);
                Defer(entry.Index);
                return entry.Index;
            }

            // An entry of a term this node led, delivered after it stopped leading: it committed
            // it as leader (DotNext may count an acknowledgement that a newer term's leader then
            // overwrote: seen after a SIGSTOP of the leader), so it is checked against the current
            // leader's log, term by term, before it is applied (a mismatch repairs the log).
            if (entry.CommandId == ProposalBatch.CommandId && access is { IsLeader: false } && entry.Term == access.LastLedTerm)
            {
                await HoldAsync(entry, token).ConfigureAwait(false);
                Defer(entry.Index);
                return entry.Index;
            }

            await ApplyFromLogAsync(entry, token).ConfigureAwait(false);
            return entry.Index;
        }
        finally
        {
            applyTurn.Release();
        }
    }

    /// <summary>Applies one entry read from the log: the store's batch, or nothing for other entries. Caller holds <see cref="applyTurn"/>.</summary>
    private async Task ApplyFromLogAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.CommandId == ProposalBatch.CommandId)
        {
            // In memory almost always; a replayed entry may have to be read.
            ReadOnlySequence<byte> payload = entry.TryGetPayload(out ReadOnlySequence<byte> inMemory)
                ? inMemory
                : new ReadOnlySequence<byte>(await entry.ToByteArrayAsync(token: token).ConfigureAwait(false));
            ApplyEntry(entry.Index, entry.Term, payload, "delivery");
        }

        // Other entries (membership changes, read fences, a new leader's no-op) carry nothing for
        // the store; DotNext keeps them in the same log and replays membership ones with a payload.
        Publish(entry.Index);
    }

    public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;

    /// <summary>
    /// A snapshot from the leader (this member is behind its truncated log): received whole into a
    /// file and verified before anything is replaced, installed, checkpointed, and only then
    /// published as this member's snapshot, as DotNext requires before this returns.
    /// </summary>
    private async Task InstallAsync(LogEntry entry, CancellationToken token)
    {
        string path = Path.Combine(directory, IncomingFile);
        await applyTurn.WaitAsync(token).ConfigureAwait(false);
        bool replacing = false;
        try
        {
            long bytes;
            await using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                await entry.WriteToAsync(file, 1 << 16, token).ConfigureAwait(false);
                bytes = file.Length;
                file.Position = 0;
                Snapshots.SnapshotFormat.Verify(file);
                file.Position = 0;
                replacing = true;
                await applier.InstallSnapshotAsync(file).ConfigureAwait(false);
            }

            var descriptor = new SnapshotDescriptor(entry.Index, entry.Term);
            lock (snapshotGate)
            {
                appliedTerms.Clear();
                latestCheckpoint = null;
                toPublish = null;
                descriptor.Save(directory);
                Interlocked.Exchange(ref snapshot, new StoreSnapshot(descriptor, applier, directory, OnResent, OnSending))?.Retire();
            }

            Publish(Math.Max(entry.Index, LogPositions.EntryOf(applier.AppliedPosition)));
            SnapshotsInstalled++;
            note($"installed a snapshot from the leader: Raft entry {entry.Index} (term {entry.Term}), {bytes / 1024.0:0.#} KiB, store position {applier.AppliedPosition}");
        }
        catch (Exception e) when (!replacing && e is not OperationCanceledException)
        {
            note($"refused the leader's snapshot (the store is unchanged; the leader sends it again): {e.Message}");
            throw;
        }
        catch (Exception e) when (replacing)
        {
            // The store's state is unknown now: the member must be restarted (it then asks again).
            // Before the replacement began nothing changed (a transfer cut by DotNext's request
            // timeout, or a damaged one): the exception fails this InstallSnapshot request only
            // (DotNext's WAL goes on), and the leader sends the snapshot again.
            applier.Halt(); // no apply and no checkpoint of a half-replaced store until the restart
            Fault = e;
            note($"installing the leader's snapshot failed: {e.Message}");
            RequestRestart($"installing the leader's snapshot failed ({e.Message})");
            throw;
        }
        finally
        {
            File.Delete(path);
            applyTurn.Release();
        }
    }

    /// <summary>How many snapshots this member installed since it started (tests and logs).</summary>
    public int SnapshotsInstalled { get; private set; }

    /// <summary>
    /// A checkpoint completed (off the apply path). The checkpoint before it becomes the snapshot
    /// (<see cref="PublishNewer"/>): DotNext truncates its log up to the snapshot and sends a
    /// member behind that point the whole store, so one checkpoint interval of log stays for
    /// members that are merely slow. Skipped when the entry's term is unknown (nothing applied
    /// since an install) or it is not newer than the last checkpoint seen.
    /// </summary>
    private void OnCheckpointed(long position)
    {
        long entry = LogPositions.EntryOf(position);
        lock (snapshotGate)
        {
            if (entry <= Math.Max(Volatile.Read(ref snapshot)?.Index ?? 0, latestCheckpoint?.Index ?? 0))
            {
                return;
            }

            while (appliedTerms.TryPeek(out var head) && head.Index < entry)
            {
                appliedTerms.TryDequeue(out _);
            }

            if (!appliedTerms.TryPeek(out var covered) || covered.Index != entry)
            {
                return;
            }

            if (latestCheckpoint is { } previous)
            {
                toPublish = previous;
            }

            latestCheckpoint = new SnapshotDescriptor(entry, covered.Term);
            PublishNewer();
        }
    }

    /// <summary>
    /// Gives DotNext <see cref="toPublish"/> as its snapshot, unless the current one began going to
    /// a member, once, less than <see cref="SendHold"/> ago: that member may still be installing
    /// it and then needs the log right after it. Publishing meanwhile truncated that log and sent
    /// it the whole store again, over and over while writes went on (a member that installs in
    /// about a second never caught up with a snapshot every second). Not held for a second send
    /// (see <see cref="StoreSnapshot.InstallingOnce"/>). The caller holds <see cref="snapshotGate"/>.
    /// </summary>
    private void PublishNewer()
    {
        if (toPublish is not { } next)
        {
            return;
        }

        StoreSnapshot? current = Volatile.Read(ref snapshot);
        if (current is not null && (next.Index <= current.Index || current.InstallingOnce(SendHold)))
        {
            if (next.Index <= current.Index)
            {
                toPublish = null;
            }

            return;
        }

        toPublish = null;
        next.Save(directory);
        Interlocked.Exchange(ref snapshot, new StoreSnapshot(next, applier, directory, OnResent, OnSending))?.Retire();
    }

    private long lastSnapshotSendStarted;

    /// <summary>When a send of a snapshot to a member last began (a <see cref="TimeProvider.System"/> timestamp; 0: never).</summary>
    public long LastSnapshotSendStarted => Volatile.Read(ref lastSnapshotSendStarted);

    private void OnSending() => Volatile.Write(ref lastSnapshotSendStarted, TimeProvider.System.GetTimestamp());

    /// <summary>
    /// DotNext sends the current snapshot again: its member failed to install it, or installed it
    /// and answered too late, and then refuses it (its commit index is not below it), and DotNext
    /// resends it every round until a newer snapshot comes. While that member is needed for a
    /// quorum nothing commits, so no checkpoint would bring one: the newest checkpoint goes now,
    /// without the one-checkpoint lag.
    /// </summary>
    private void OnResent()
    {
        lock (snapshotGate)
        {
            if (latestCheckpoint is { } newest && newest.Index > (Volatile.Read(ref snapshot)?.Index ?? 0))
            {
                toPublish = newest;
                PublishNewer();
            }
        }
    }

    /// <summary>Applies one store entry; <paramref name="via"/> names the path for the trace (a constant: nothing is built when not tracing).</summary>
    private void ApplyEntry(long index, long term, ReadOnlySequence<byte> payload, string via)
    {
        if (Tracing)
        {
            Trace($"apply {index} term {term} via {via}");
        }

        try
        {
            List<Proposal> proposals = ProposalBatch.Decode(payload);
            var commands = new (long, StoreCommand)[proposals.Count];
            for (int i = 0; i < proposals.Count; i++)
            {
                commands[i] = (LogPositions.Of(index, i), StoreCommand.Deserialize(proposals[i].Command));
            }

            object[] results = applier.ApplyBatch(commands);
            appliedTerms.Enqueue((index, term));
            applied(proposals, results);
            applier.Maintain();
            if (Volatile.Read(ref toPublish) is not null)
            {
                lock (snapshotGate)
                {
                    PublishNewer(); // held back by a recent send
                }
            }
        }
        catch (Exception e) when (!(e is StoreException { Error: StoreError.Stopped } && applier.IsClosed))
        {
            // The state is now unknown (or the log holds something we cannot read): never serve
            // from it. Waiters fail; the node reports itself unhealthy and must be restarted.
            // (A refusal because the store is closing, to held entries settling late, is neither.)
            Fault = e;
            throw;
        }
    }

    /// <summary>
    /// BACKBONE_RAFT_TRACE=1: every apply decision goes to the node's log (soaks hunting a
    /// divergence; far too verbose otherwise). Callers test it before building the message: the
    /// apply path must not format strings for nothing.
    /// </summary>
    private static readonly bool Tracing = Environment.GetEnvironmentVariable("BACKBONE_RAFT_TRACE") == "1";

    private void Trace(string what)
    {
        if (Tracing)
        {
            ISettleAccess? node = access;
            note($"trace {what} [leader {node?.IsLeader}, term {node?.Term}, last led {node?.LastLedTerm}, commit {node?.CommitIndex}, dotnext applied {node?.DotNextAppliedIndex}]");
        }
    }

    private void Publish(long index)
    {
        if (index > Volatile.Read(ref appliedEntry))
        {
            Volatile.Write(ref appliedEntry, index);
        }

        Interlocked.Exchange(ref appliedSignal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
