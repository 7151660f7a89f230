using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Store.Raft;

/// <summary>
/// Applying only what a quorum holds on disk. DotNext 6.12 counts a follower's acknowledgement
/// before the follower flushed the entry (known risk b), so its "committed" can be lost if the
/// leader and that follower crash together, and the rest of the cluster then overwrites the
/// entry. The store must never hold such an entry, or it diverges for good (its positions would
/// skip the replacement). So:
/// - a follower applies what DotNext delivers: it flushed it before (DotNext commits, and so
///   flushes, before applying) and the leader flushed it before committing: two copies;
/// - the leader applies only after a replication round in which the followers committed (and
///   so flushed) up to its commit index (<see cref="ConfirmDurableIfLeaderAsync"/>);
/// - entries DotNext replays at start-up, and entries whose confirmation failed because
///   leadership moved, are deferred: <see cref="SettleAsync"/> waits for a read index from the
///   current leader (a fence committed in its term: everything before it is final), then reads
///   them back from the log, which by then holds the leader's version of every index, and
///   applies them. Until then reads that must be linearizable wait.
/// </summary>
internal sealed partial class StoreStateMachine
{
    private ISettleAccess? access;
    private volatile bool live;
    private long deferredFrom; // 0 = nothing deferred; else the first entry not applied
    private long durableThrough; // leader: entries up to here are on a quorum's disks
    private int settling;

    /// <summary>
    /// Entries DotNext delivered while deferring, in order (guarded by the apply turn): DotNext
    /// never delivers an entry twice, so settling applies these after what it read from the log.
    /// Memory: at most the entries since the last checkpoint, while a restarted member settles.
    /// </summary>
    private readonly List<(long Index, long Term, bool Ours, byte[] Payload)> held = [];

    /// <summary>What settling needs from the node; attached once DotNext's WAL exists.</summary>
    internal interface ISettleAccess
    {
        bool IsLeader { get; }

        long CommitIndex { get; }

        long DotNextAppliedIndex { get; }

        /// <summary>A replication round after which the followers hold everything committed before it.</summary>
        ValueTask ConfirmDurableAsync(CancellationToken cancellationToken);

        /// <summary>The current leader's confirmed commit index (a fence in its term), or null when none answers.</summary>
        Task<long?> ReadIndexAsync(CancellationToken cancellationToken);

        ValueTask WaitForDotNextApplyAsync(long index, CancellationToken cancellationToken);

        ValueTask<WriteAheadLog.LogEntryReader> ReadLogAsync(long from, long to, CancellationToken cancellationToken);

        Task<IReadOnlyDictionary<long, long>> TermsAsync(long from, long to, CancellationToken cancellationToken);

        Task<IReadOnlyDictionary<long, long>?> LeaderTermsAsync(long from, long to, CancellationToken cancellationToken);

        CancellationToken Stopping { get; }
    }

    private bool Deferring => Volatile.Read(ref deferredFrom) != 0;

    public void Attach(ISettleAccess settleAccess) => access = settleAccess;

    /// <summary>DotNext finished replaying its log: from now on entries may apply directly, and what the replay deferred is settled.</summary>
    public void MarkLive()
    {
        live = true;
        if (Deferring)
        {
            StartSettle();
        }
    }

    /// <summary>Waits until the store holds every entry up to <paramref name="index"/> (entries without store effects count as held once nothing is deferred).</summary>
    public async Task WaitAppliedAsync(long index, CancellationToken cancellationToken)
    {
        await access!.WaitForDotNextApplyAsync(index, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            Task signal = Volatile.Read(ref appliedSignal).Task;
            if (AppliedEntry >= index || !Deferring)
            {
                return;
            }

            if (Fault is { } fault)
            {
                throw new StoreException(StoreError.Stopped, fault.Message);
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Keeps a deferred entry's content (the apply turn is held).</summary>
    private async Task HoldAsync(LogEntry entry, CancellationToken token)
    {
        bool ours = entry.CommandId == ProposalBatch.CommandId;
        held.Add((entry.Index, entry.Term, ours, ours ? await entry.ToByteArrayAsync(token: token).ConfigureAwait(false) : []));
    }

    private void Defer(long index)
    {
        if (!Deferring)
        {
            Volatile.Write(ref deferredFrom, index);
            if (live)
            {
                StartSettle();
            }
        }
    }

    /// <summary>On the leader, makes sure everything committed so far is on a quorum's disks; false if leadership was lost meanwhile.</summary>
    private async Task<bool> ConfirmDurableIfLeaderAsync(CancellationToken token)
    {
        if (access is null || !access.IsLeader)
        {
            return true;
        }

        long commit = access.CommitIndex;
        if (commit <= Volatile.Read(ref durableThrough))
        {
            return true;
        }

        try
        {
            await access.ConfirmDurableAsync(token).ConfigureAwait(false);
            Volatile.Write(ref durableThrough, Math.Max(Volatile.Read(ref durableThrough), commit));
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            return false; // not leader any more: settle it through the next leader
        }
    }

    private void StartSettle()
    {
        if (Interlocked.Exchange(ref settling, 1) == 0)
        {
            Task running = Task.Run(SettleAsync); // its own loop handles every failure
        }
    }

    private async Task SettleAsync()
    {
        CancellationToken stopping = access!.Stopping;
        try
        {
            while (Deferring && Fault is null && !stopping.IsCancellationRequested)
            {
                try
                {
                    if (await TrySettleOnceAsync(stopping).ConfigureAwait(false))
                    {
                        note($"applied the Raft entries held back until the leader confirmed them (store at entry {AppliedEntry})");
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    // No leader yet, or it moved: ask again shortly.
                }

                await Task.Delay(50, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        finally
        {
            Volatile.Write(ref settling, 0);
            if (Deferring && Fault is null && !stopping.IsCancellationRequested)
            {
                StartSettle(); // deferred again while finishing
            }
        }
    }

    /// <summary>
    /// Log matching, checked entry by entry (DotNext's own matching cannot be trusted here). They
    /// can disagree after every member crashed at once: DotNext may have counted an unflushed
    /// acknowledgement, so a restarted member can hold as committed an entry the others lost, and
    /// it never lets the new leader overwrite a committed entry. Applying that log would serve
    /// wrong data forever, so the member stops serving, asks for a <see cref="LogRepair"/> (its
    /// log is cut back to what the store applied) and for a restart that performs it.
    /// </summary>
    private async Task CheckLogMatchesLeaderAsync(ISettleAccess node, long from, long to, CancellationToken stopping)
    {
        IReadOnlyDictionary<long, long> ours = await node.TermsAsync(from, to, stopping).ConfigureAwait(false);
        IReadOnlyDictionary<long, long> leaders = await node.LeaderTermsAsync(from, to, stopping).ConfigureAwait(false)
            ?? throw new TimeoutException("the leader moved while its log was compared");
        foreach ((long index, long term) in ours.OrderBy(entry => entry.Key))
        {
            // Entries the leader no longer holds sit behind its snapshot: nothing to compare.
            if (leaders.TryGetValue(index, out long leaderTerm) && leaderTerm != term)
            {
                string reason = $"this member's Raft log disagrees with the leader's at entry {index} (term {term} here, {leaderTerm} at the leader): "
                    + "after every member crashed at once it kept an entry the others lost";
                LogRepair.Request(directory, AppliedEntry, index, reason);
                var diverged = new InvalidOperationException(reason + ". It does not serve from this log; it restarts to repair it "
                    + $"(its log is cut back to entry {AppliedEntry}, the last one its store applied, and the leader sends the rest again)");
                Fault = diverged;
                note(diverged.Message);
                RequestRestart(diverged.Message);
                throw diverged;
            }
        }
    }

    /// <summary>One attempt: a read index from the leader, then the deferred entries from the log up to what is safe.</summary>
    private async Task<bool> TrySettleOnceAsync(CancellationToken stopping)
    {
        ISettleAccess node = access!;
        long readIndex = await node.ReadIndexAsync(stopping).ConfigureAwait(false) ?? throw new TimeoutException("no leader");
        await node.WaitForDotNextApplyAsync(readIndex, stopping).ConfigureAwait(false);
        long commitBefore = node.CommitIndex;
        if (node.IsLeader)
        {
            await node.ConfirmDurableAsync(stopping).ConfigureAwait(false);
        }

        // A follower may take all DotNext applied (it flushed them, so did the leader); the leader
        // only what its confirmation round covered.
        long safe = node.IsLeader ? Math.Min(commitBefore, node.DotNextAppliedIndex) : node.DotNextAppliedIndex;
        long from = AppliedEntry + 1;
        List<(long Index, long Term, bool Ours, byte[] Payload)> copied = [];
        if (safe >= from)
        {
            if (!node.IsLeader)
            {
                await CheckLogMatchesLeaderAsync(node, from, safe, stopping).ConfigureAwait(false);
            }

            // Copied out and the reader closed before taking the apply turn: DotNext may hold the
            // log's read side while it waits for our ApplyAsync, which waits for the turn.
            using (WriteAheadLog.LogEntryReader entries = await node.ReadLogAsync(from, safe, stopping).ConfigureAwait(false))
            {
                foreach (LogEntry entry in entries)
                {
                    if (!entry.IsSnapshot)
                    {
                        bool ours = entry.CommandId == ProposalBatch.CommandId;
                        copied.Add((entry.Index, entry.Term, ours, ours ? await entry.ToByteArrayAsync(token: stopping).ConfigureAwait(false) : []));
                    }
                }
            }
        }

        await applyTurn.WaitAsync(stopping).ConfigureAwait(false);
        try
        {
            // What the log held up to the safe point, then what DotNext delivered meanwhile (the
            // leader confirms durability once more for entries past its confirmed commit).
            foreach ((long index, long term, bool ours, byte[] payload) in copied.Concat(held))
            {
                if (index <= AppliedEntry)
                {
                    continue; // covered by the store already
                }

                if (ours && node.IsLeader && index > commitBefore && !await ConfirmDurableIfLeaderAsync(stopping).ConfigureAwait(false))
                {
                    return false; // leadership moved: settle with the next leader
                }

                if (ours)
                {
                    ApplyEntry(index, term, new System.Buffers.ReadOnlySequence<byte>(payload));
                }

                Publish(index);
            }

            held.Clear();
            Volatile.Write(ref deferredFrom, 0);
            Publish(AppliedEntry);
            return true;
        }
        finally
        {
            applyTurn.Release();
        }
    }
}
