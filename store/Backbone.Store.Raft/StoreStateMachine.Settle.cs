using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Store.Raft;

/// <summary>
/// Applying only what a quorum holds on disk. DotNext 6.12's followers acknowledge entries before
/// flushing them (known risk (b)); <see cref="FlushedAppendLog"/> makes them flush first, so an
/// entry DotNext commits while this process runs is on a quorum's disks, and the leader and the
/// followers apply what DotNext delivers. Two kinds of entry are not known to be, and wait here:
/// - entries DotNext replays at start-up (a log written before the flush-first answer, or by a
///   member whose acknowledgements were counted before it crashed, may hold as committed an
///   entry the others lost), and entries of a term this member led that reach it after it
///   stopped leading (checked against the current leader's log, see <see cref="ApplyAsync"/>),
///   are deferred: <see cref="SettleAsync"/> waits for a read index from the current leader
///   (its commit index, once it has committed in its term and confirmed that it still leads, by
///   a round or its read lease: everything up to it is final), then reads them back from the
///   log, which by then holds the leader's version of every index, and applies them. Until then
///   reads that must be linearizable wait;
/// - a leader settling such entries applies only what a replication round after its commit
///   confirmed (<see cref="durableThrough"/>). It never waits for that round inside DotNext's
///   apply call: DotNext holds its log's read lock there, a round ends with a commit, and a
///   commit waits behind the log compaction a new snapshot queues, which waits for that read
///   lock (every write stopped until leadership moved).
/// </summary>
internal sealed partial class StoreStateMachine
{
    private ISettleAccess? access;
    private volatile bool live;
    private long deferredFrom; // 0 = nothing deferred; else the first entry not applied
    private long durableThrough; // leader, settling: entries up to here were confirmed on a quorum's disks by a round after their commit
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

        /// <summary>The current Raft term.</summary>
        long Term { get; }

        /// <summary>The last term in which this node was the leader (0 if never).</summary>
        long LastLedTerm { get; }

        long CommitIndex { get; }

        long DotNextAppliedIndex { get; }

        /// <summary>A replication round after which the followers hold everything committed before it.</summary>
        ValueTask ConfirmDurableAsync(CancellationToken cancellationToken);

        /// <summary>The current leader's confirmed commit index (it has committed in its term, and a quorum answered a round after the call or its read lease holds), or null when none answers.</summary>
        Task<long?> ReadIndexAsync(CancellationToken cancellationToken);

        ValueTask WaitForDotNextApplyAsync(long index, CancellationToken cancellationToken);

        ValueTask<WriteAheadLog.LogEntryReader> ReadLogAsync(long from, long to, CancellationToken cancellationToken);

        Task<IReadOnlyDictionary<long, EntryMark>> MarksAsync(long from, long to, CancellationToken cancellationToken);

        Task<IReadOnlyDictionary<long, EntryMark>?> LeaderMarksAsync(long from, long to, CancellationToken cancellationToken);

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

    /// <summary>Entries from <paramref name="index"/> on wait for <see cref="SettleAsync"/> (the apply turn is held).</summary>
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
                    SettleOutcome outcome = await TrySettleOnceAsync(stopping).ConfigureAwait(false);
                    if (outcome is SettleOutcome.Settled)
                    {
                        note($"applied the Raft entries held back until the leader confirmed them (store at entry {AppliedEntry})");
                        return;
                    }

                    if (outcome is SettleOutcome.Progressed)
                    {
                        continue; // the leader under load: more entries arrived while it confirmed these
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
    /// Log matching, checked entry by entry, terms and content (DotNext's own matching cannot be
    /// trusted here). They can disagree after every member crashed at once: DotNext may have
    /// counted an unflushed acknowledgement, so a restarted member can hold as committed an entry
    /// the others lost, and it never lets the new leader overwrite a committed entry. A paused
    /// leader once appended an entry under the next leader's term (see
    /// <see cref="RaftNode.TryGetLeadingTerm"/>): same term, other content. Applying that log would
    /// serve wrong data forever, so the member stops serving, asks for a <see cref="LogRepair"/>
    /// (its log is cut back to what the store applied) and for a restart that performs it.
    /// </summary>
    private async Task CheckLogMatchesLeaderAsync(ISettleAccess node, long from, long to, CancellationToken stopping)
    {
        IReadOnlyDictionary<long, EntryMark> ours = await node.MarksAsync(from, to, stopping).ConfigureAwait(false);
        IReadOnlyDictionary<long, EntryMark> leaders = await node.LeaderMarksAsync(from, to, stopping).ConfigureAwait(false)
            ?? throw new TimeoutException("the leader moved while its log was compared");
        foreach ((long index, EntryMark mark) in ours.OrderBy(entry => entry.Key))
        {
            // Entries the leader no longer holds sit behind its snapshot: nothing to compare.
            if (leaders.TryGetValue(index, out EntryMark leaderMark) && !leaderMark.Matches(mark))
            {
                string reason = $"this member's Raft log disagrees with the leader's at entry {index} "
                    + (leaderMark.Term != mark.Term ? $"(term {mark.Term} here, {leaderMark.Term} at the leader)" : $"(both of term {mark.Term}, different content)")
                    + ": it kept an entry the others do not have";
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

    /// <summary>What one settling attempt achieved.</summary>
    private abstract record SettleOutcome
    {
        /// <summary>Nothing applied (no leader, or it moved): try again shortly.</summary>
        public sealed record Retry : SettleOutcome;

        /// <summary>Some entries applied; later ones (the leader's, past its confirmed commit) still wait.</summary>
        public sealed record Progressed : SettleOutcome;

        /// <summary>Everything deferred is applied.</summary>
        public sealed record Settled : SettleOutcome;
    }

    /// <summary>
    /// One attempt: a read index from the leader, then the deferred entries from the log up to
    /// what is safe. Nothing here waits for a replication round while holding the apply turn:
    /// DotNext may be waiting for that turn in <see cref="ApplyAsync"/> while it holds its log's
    /// read lock, which the round's commit can need (see the class summary).
    /// </summary>
    private async Task<SettleOutcome> TrySettleOnceAsync(CancellationToken stopping)
    {
        ISettleAccess node = access!;
        long readIndex = await node.ReadIndexAsync(stopping).ConfigureAwait(false) ?? throw new TimeoutException("no leader");
        if (Tracing)
        {
            Trace($"settle: read index {readIndex}");
        }

        await node.WaitForDotNextApplyAsync(readIndex, stopping).ConfigureAwait(false);
        long commitBefore = node.CommitIndex;
        bool leader = node.IsLeader;
        if (leader)
        {
            await node.ConfirmDurableAsync(stopping).ConfigureAwait(false);
            Volatile.Write(ref durableThrough, Math.Max(Volatile.Read(ref durableThrough), commitBefore));
        }

        // A follower may take all DotNext applied (it flushed them, so did the leader); the leader
        // only what its confirmation round covered.
        long safe = leader ? Math.Min(commitBefore, node.DotNextAppliedIndex) : node.DotNextAppliedIndex;
        long from = AppliedEntry + 1;
        if (Tracing)
        {
            Trace($"settle: safe {safe}, from {from}, as leader {leader}");
        }

        List<(long Index, long Term, bool Ours, byte[] Payload)> copied = [];
        if (safe >= from)
        {
            if (!leader)
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

        return await ApplyHeldAsync(node, copied, confirmedOnly: leader, stopping).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies, in order, what was read from the log, then what DotNext delivered meanwhile. An
    /// attempt made as leader (<paramref name="confirmedOnly"/>), or by a member that leads now,
    /// stops at what a round confirmed (<see cref="durableThrough"/>), even if leadership moved
    /// since: what it held may be its own entries from a log written before followers flushed
    /// before answering (<see cref="FlushedAppendLog"/>), acknowledged but not yet flushed by a quorum.
    /// </summary>
    private async Task<SettleOutcome> ApplyHeldAsync(ISettleAccess node, List<(long Index, long Term, bool Ours, byte[] Payload)> copied, bool confirmedOnly, CancellationToken stopping)
    {
        await applyTurn.WaitAsync(stopping).ConfigureAwait(false);
        try
        {
            // What the log held up to the safe point, then what DotNext delivered meanwhile. A
            // leader stops at what a round confirmed; the rest stays held for the next attempt.
            long limit = confirmedOnly || node.IsLeader ? Volatile.Read(ref durableThrough) : long.MaxValue;
            long before = AppliedEntry;
            foreach ((long index, long term, bool ours, byte[] payload) in copied.Concat(held))
            {
                if (index <= AppliedEntry)
                {
                    continue; // covered by the store already
                }

                if (index > limit)
                {
                    break;
                }

                if (ours)
                {
                    ApplyEntry(index, term, new System.Buffers.ReadOnlySequence<byte>(payload), "settle");
                }

                Publish(index);
            }

            held.RemoveAll(entry => entry.Index <= AppliedEntry);
            if (held.Count > 0)
            {
                Volatile.Write(ref deferredFrom, held[0].Index);
                return AppliedEntry > before || node.IsLeader ? new SettleOutcome.Progressed() : new SettleOutcome.Retry();
            }

            Volatile.Write(ref deferredFrom, 0);
            Publish(AppliedEntry);
            return new SettleOutcome.Settled();
        }
        finally
        {
            applyTurn.Release();
        }
    }
}
