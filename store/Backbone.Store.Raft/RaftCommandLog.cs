using System.Collections.Concurrent;
using Backbone.Core;
using Backbone.Store.Commands;

namespace Backbone.Store.Raft;

/// <summary>
/// The store's command log in a cluster. A proposal gets this node's sequence number and goes to
/// the leader: into the local <see cref="LeaderBatcher"/> when this node leads, else forwarded
/// over the <see cref="IPeerLink"/>. Either way the caller is answered by this node's own apply of
/// the committed entry (every replica computes the same result), as etcd's followers do.
///
/// Retries stay inside the server and inside the request deadline: a "not leader" refusal (nothing
/// appended) is retried against the new leader; a "leader changed" after a possible append is
/// settled with a fence before anything is sent again (<see cref="ProposeWithinAsync"/>), so the
/// client sees success, or a timeout when no leader commits in time, and nothing applies twice.
/// </summary>
public sealed class RaftCommandLog : ICommandLog
{
    private readonly RaftNode node;
    private readonly IPeerLink link;
    private readonly LeaderBatcher batcher;
    private readonly ForwardBatcher forwarder;
    private readonly ReadFences leaderReadIndex;
    private readonly StoreApplier applier;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<object>> waiting = new();
    private readonly CancellationTokenSource stopping = new();
    private long nextSequence;

    internal RaftCommandLog(RaftNode node, IPeerLink link, StoreApplier applier)
    {
        this.node = node;
        this.link = link;
        this.applier = applier;
        // Proposals are matched to their callers by (member id, sequence) when applied, and a
        // restarted member applies entries proposed before its restart: a random start keeps a
        // new caller from being answered with an old proposal's result.
        nextSequence = Random.Shared.NextInt64(1, long.MaxValue / 2);
        batcher = new LeaderBatcher(node);
        forwarder = new ForwardBatcher(link, () => node.NextLeaderChange);
        leaderReadIndex = new ReadFences(_ => FetchReadIndexAsync());
        applier.MoreMaintenance = Tick;
        // Settling keeps its own loop: in a new leader's write barrier it finds no leader to ask
        // but itself, and tries again 50 ms later, as before the barrier wait existed.
        node.ReadIndexSource = ct => node.IsLeader ? node.ConfirmLeadershipAsync(ct) : ReadIndexFromLeaderAsync(ct);
        node.LeaderMarksSource = async (from, to, ct) =>
        {
            RaftPeer leader = await node.GetLeaderAsync(ct).ConfigureAwait(false) ?? throw new StoreException(StoreError.NoLeader);
            return leader.MemberId == node.Self.MemberId ? null : await link.EntryMarksAsync(leader, from, to, ct).ConfigureAwait(false);
        };
    }

    public bool IsLeader => node.IsLeader;

    public RaftNode Node => node;

    /// <summary>The store position the last applied command reached.</summary>
    public long AppliedPosition => applier.AppliedPosition;

    /// <summary>Completes, with the reason, when this member must restart to heal (see <see cref="LogRepair"/>); the node host restarts it.</summary>
    public Task<string> RestartNeeded => node.StateMachine.RestartNeeded;

    public async Task<object> ProposeAsync(StoreCommand command, CancellationToken cancellationToken)
    {
        byte[] bytes = command.Serialize();
        if (bytes.Length > StoreLimits.MaxRequestBytes)
        {
            throw new StoreException(StoreError.RequestTooLarge);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping.Token);
        deadline.CancelAfter(node.Options.RequestTimeout);
        try
        {
            return await ProposeWithinAsync(bytes, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw stopping.IsCancellationRequested ? new StoreException(StoreError.Stopped, "the node is stopping")
                : node.HasLeader ? new StoreException(StoreError.Timeout)
                : new StoreException(StoreError.NoLeader);
        }
    }

    /// <summary>
    /// Sends one proposal until it is committed and applied here, within the deadline. After an
    /// ambiguous failure (the leader was lost after it may have appended the proposal) a fence
    /// settles the question: once the fence is applied, the proposal either was applied before it
    /// or can never commit, and only then is it sent again. So it is applied at most once.
    /// </summary>
    private async Task<object> ProposeWithinAsync(byte[] command, CancellationToken deadline)
    {
        long sequence = Interlocked.Increment(ref nextSequence);
        var result = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting[sequence] = result;
        Proposal proposal = new(node.Self.MemberId, sequence, command);
        try
        {
            while (true)
            {
                ForwardOutcome outcome = await SendToLeaderAsync(proposal, deadline).ConfigureAwait(false);
                // Applied here is done, whatever the outcome said: only committed entries are
                // applied, and those are on a quorum's disks (FlushedAppendLog; entries that
                // settling applies, it confirmed first).
                if (outcome == ForwardOutcome.Committed || result.Task.IsCompleted)
                {
                    return await result.Task.WaitAsync(deadline).ConfigureAwait(false);
                }

                await FenceAsync(deadline).ConfigureAwait(false);
                if (result.Task.IsCompleted)
                {
                    return await result.Task.ConfigureAwait(false); // applied before the fence
                }
            }
        }
        finally
        {
            waiting.TryRemove(sequence, out _);
        }
    }

    /// <summary>Proposes no-op fences until one commits and is applied here (a lost fence is harmless).</summary>
    private async Task FenceAsync(CancellationToken deadline)
    {
        while (true)
        {
            long sequence = Interlocked.Increment(ref nextSequence);
            var applied = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting[sequence] = applied;
            try
            {
                Proposal fence = new(node.Self.MemberId, sequence, new FenceCommand { Nonce = sequence }.Serialize());
                ForwardOutcome outcome = await SendToLeaderAsync(fence, deadline).ConfigureAwait(false);
                if (outcome == ForwardOutcome.Committed)
                {
                    await applied.Task.WaitAsync(deadline).ConfigureAwait(false);
                    return;
                }
            }
            finally
            {
                waiting.TryRemove(sequence, out _);
            }
        }
    }

    /// <summary>The leader's side of a forward: batch the proposals, answer once committed (or refuse if not leading).</summary>
    public Task<ForwardOutcome> AcceptForwardedAsync(IReadOnlyList<Proposal> proposals, CancellationToken cancellationToken) =>
        node.IsLeader ? batcher.SubmitAsync(proposals, cancellationToken) : AcceptOnceLeadingAsync(proposals, cancellationToken);

    /// <summary>Followers forward to a new leader as soon as they hear from it, often within its write barrier.</summary>
    private async Task<ForwardOutcome> AcceptOnceLeadingAsync(IReadOnlyList<Proposal> proposals, CancellationToken cancellationToken) =>
        await node.WaitUntilLeadingAsync(cancellationToken).ConfigureAwait(false)
            ? await batcher.SubmitAsync(proposals, cancellationToken).ConfigureAwait(false)
            : ForwardOutcome.NotLeader;

    /// <summary>This node's read index: its own confirmation round when it leads, else the leader's answer (null when leadership moved).</summary>
    private Task<long?> ReadIndexAsync(CancellationToken cancellationToken) =>
        node.IsLeader ? node.ConfirmLeadershipAsync(cancellationToken) : ReadIndexOnceLeadingAsync(cancellationToken);

    private async Task<long?> ReadIndexOnceLeadingAsync(CancellationToken cancellationToken) =>
        await node.WaitUntilLeadingAsync(cancellationToken).ConfigureAwait(false)
            ? await node.ConfirmLeadershipAsync(cancellationToken).ConfigureAwait(false)
            : await ReadIndexFromLeaderAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Waits until this node has applied everything committed before the call (ReadIndex): the
    /// leader confirms its leadership, a follower asks the leader, then both wait for their own
    /// apply to reach that index. A linearizable read served after this sees every write
    /// acknowledged before it started.
    /// </summary>
    public async Task ReadBarrierAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping.Token);
        deadline.CancelAfter(node.Options.RequestTimeout);
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                Task leaderChange = node.NextLeaderChange;
                long? index = await ReadIndexAsync(deadline.Token).ConfigureAwait(false);
                if (index is long readIndex)
                {
                    await node.WaitAppliedAsync(readIndex, deadline.Token).ConfigureAwait(false);
                    return;
                }

                await BackOffAsync(leaderChange, attempt, deadline.Token).ConfigureAwait(false); // leadership moved: ask again
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new StoreException(StoreError.Timeout);
        }
    }

    public Task WhenPhysicalCompactionDoneAsync(CancellationToken cancellationToken) =>
        applier.WhenPhysicalCompactionDoneAsync(cancellationToken);

    /// <summary>Maintenance with no writes: off the apply path, serialized with apply by the applier's gate.</summary>
    public void Tick() => ThreadPool.UnsafeQueueUserWorkItem(static a => a.Maintain(), applier, preferLocal: false);

    /// <summary>Called by the state machine after each applied entry: answers this node's own proposals.</summary>
    internal void OnApplied(IReadOnlyList<Proposal> proposals, object[] results)
    {
        ulong self = node.Self.MemberId;
        for (int i = 0; i < proposals.Count; i++)
        {
            if (proposals[i].Origin == self && waiting.TryRemove(proposals[i].Sequence, out TaskCompletionSource<object>? caller))
            {
                if (results[i] is StoreException refused)
                {
                    caller.TrySetException(refused);
                }
                else
                {
                    caller.TrySetResult(results[i]);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await batcher.DisposeAsync().ConfigureAwait(false);
        await forwarder.DisposeAsync().ConfigureAwait(false);
        await node.DisposeAsync().ConfigureAwait(false);
        await applier.CloseAsync(faulted: node.StateMachine.Fault is not null).ConfigureAwait(false);
        stopping.Dispose();
    }

    private async Task<ForwardOutcome> SendToLeaderAsync(Proposal proposal, CancellationToken cancellationToken)
    {
        Proposal[] one = [proposal];
        for (int attempt = 0; ; attempt++)
        {
            Task leaderChange = node.NextLeaderChange;
            ForwardOutcome outcome;
            if (await node.WaitUntilLeadingAsync(cancellationToken).ConfigureAwait(false))
            {
                outcome = await batcher.SubmitAsync(one, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                RaftPeer leader = await node.GetLeaderAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new StoreException(StoreError.NoLeader);
                outcome = leader.MemberId == node.Self.MemberId
                    ? ForwardOutcome.NotLeader // we were elected meanwhile: go round again
                    : await forwarder.ForwardAsync(leader, proposal, cancellationToken).ConfigureAwait(false);
            }

            if (outcome != ForwardOutcome.NotLeader)
            {
                return outcome;
            }

            await BackOffAsync(leaderChange, attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After the leader this node knows refused or could not be reached: waits for the next
    /// leader change, or 20 ms doubling to 200 ms if none comes. When a leader dies, its followers
    /// still name it until their election timeout: every call waiting for it retried every 20 ms,
    /// each failing with an exception, on the thread pool DotNext's election also needs. That
    /// storm is one part of the starvation behind failover gaps of 2-4 s under load (see
    /// docs/benchmarks.md, session 4); this removes it, not the whole gap.
    /// </summary>
    private static async Task BackOffAsync(Task leaderChange, int attempt, CancellationToken cancellationToken)
    {
        int pauseMs = Math.Min(20 << Math.Min(attempt, 4), 200);
        using var pause = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task delay = Task.Delay(pauseMs, pause.Token);
        await Task.WhenAny(leaderChange, delay).ConfigureAwait(false);
        await pause.CancelAsync().ConfigureAwait(false); // the timer goes now, not in 200 ms
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// The leader's read index for a follower, shared: reads join the next request that starts
    /// after they arrived (<see cref="ReadFences"/>), so under load one call serves many reads
    /// instead of one call each. Null when the leader is this node, refused, or moved meanwhile.
    /// </summary>
    private Task<long?> ReadIndexFromLeaderAsync(CancellationToken cancellationToken) => leaderReadIndex.ConfirmAsync(cancellationToken);

    /// <summary>
    /// One shared read index request. Bounded by the request timeout (its readers each have
    /// their own deadline, but a call to a paused leader would otherwise hold up every later
    /// read), and abandoned at a leader change: reads then ask the new leader at once.
    /// </summary>
    private async Task<long?> FetchReadIndexAsync()
    {
        Task leaderChange = node.NextLeaderChange;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        call.CancelAfter(node.Options.RequestTimeout);
        Task<long?> fetch = AskLeaderForReadIndexAsync(call.Token);
        if (await Task.WhenAny(fetch, leaderChange).ConfigureAwait(false) != fetch)
        {
            await call.CancelAsync().ConfigureAwait(false);
            _ = fetch.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return null;
        }

        return await fetch.ConfigureAwait(false);
    }

    private async Task<long?> AskLeaderForReadIndexAsync(CancellationToken cancellationToken)
    {
        RaftPeer leader = await node.GetLeaderAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new StoreException(StoreError.NoLeader);
        return leader.MemberId == node.Self.MemberId ? null
            : await link.ReadIndexAsync(leader, node.CommitIndex, cancellationToken).ConfigureAwait(false);
    }
}
