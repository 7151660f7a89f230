using System.Threading.Channels;

namespace Backbone.Store.Raft;

/// <summary>
/// Group forwarding on a follower: proposals bound for the same leader that arrive while earlier
/// forwards are in flight leave together in one Forward call, which the leader appends as one
/// submission (one entry, one outcome for all). One call per proposal cost a gRPC round trip,
/// its HTTP/2 stream and both sides' (de)serialization per write: at 64 clients most of the
/// writes reach a follower first. A few calls stay in flight so latency is not serialized.
/// </summary>
internal sealed class ForwardBatcher : IAsyncDisposable
{
    private const int MaxInFlight = 4;

    /// <summary>Below the leader's gRPC receive limit with room to spare; a larger single proposal goes alone.</summary>
    private const int MaxBatchBytes = 1 << 20;

    private readonly IPeerLink link;
    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim inFlight = new(MaxInFlight, MaxInFlight);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    /// <summary>Completes at the next leader change: a call still waiting then is abandoned (see <see cref="SendAsync"/>).</summary>
    private readonly Func<Task> nextLeaderChange;

    public ForwardBatcher(IPeerLink link, Func<Task> nextLeaderChange)
    {
        this.link = link;
        this.nextLeaderChange = nextLeaderChange;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Forwards <paramref name="proposal"/> to <paramref name="leader"/> with whatever else is waiting for it; the outcome is the whole call's.</summary>
    public Task<ForwardOutcome> ForwardAsync(RaftPeer leader, Proposal proposal, CancellationToken cancellationToken)
    {
        var pending = new Pending(leader, proposal, cancellationToken);
        if (!queue.Writer.TryWrite(pending))
        {
            return Task.FromResult(ForwardOutcome.NotLeader); // stopping: nothing sent
        }

        return pending.Outcome.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped while waiting for room
        }

        while (queue.Reader.TryRead(out Pending? left))
        {
            left.Outcome.TrySetResult(ForwardOutcome.NotLeader);
        }

        stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (await queue.Reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
        {
            await inFlight.WaitAsync(stop.Token).ConfigureAwait(false);
            List<Pending> batch = TakeBatch();
            if (batch.Count == 0)
            {
                inFlight.Release();
                continue;
            }

            _ = SendAsync(batch);
        }
    }

    /// <summary>
    /// What waits now for the first waiting proposal's leader, up to an entry's worth of commands
    /// and <see cref="MaxBatchBytes"/>. Proposals whose callers gave up before anything was sent
    /// are dropped unsent (the caller already saw its deadline pass).
    /// </summary>
    private List<Pending> TakeBatch()
    {
        var batch = new List<Pending>();
        int bytes = 0;
        while (batch.Count < ProposalBatch.MaxCommands && queue.Reader.TryPeek(out Pending? next))
        {
            if (next.Cancellation.IsCancellationRequested)
            {
                queue.Reader.TryRead(out _);
                next.Outcome.TrySetCanceled(next.Cancellation);
                continue;
            }

            bool sameLeader = batch.Count == 0 || next.Leader.MemberId == batch[0].Leader.MemberId;
            if (!sameLeader || (batch.Count > 0 && bytes + next.Proposal.Command.Length > MaxBatchBytes))
            {
                break;
            }

            queue.Reader.TryRead(out _);
            batch.Add(next);
            bytes += next.Proposal.Command.Length;
        }

        return batch;
    }

    /// <summary>
    /// One call for the batch, cancelled once every caller in it gave up, and abandoned at a leader
    /// change (ambiguous for its callers, who fence and go to the new leader): a call to a paused
    /// leader would otherwise hold its in-flight slot, and every forward behind it, until the
    /// callers' deadlines.
    /// </summary>
    private async Task SendAsync(List<Pending> batch)
    {
        ForwardOutcome outcome;
        Task leaderChange = nextLeaderChange();
        using var call = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        int waiting = batch.Count;
        var abandon = new List<CancellationTokenRegistration>(batch.Count);
        foreach (Pending pending in batch)
        {
            abandon.Add(pending.Cancellation.Register(() =>
            {
                if (Interlocked.Decrement(ref waiting) == 0)
                {
                    call.Cancel();
                }
            }));
        }

        try
        {
            Task<ForwardOutcome> forward = link.ForwardAsync(batch[0].Leader, [.. batch.Select(p => p.Proposal)], call.Token);
            if (await Task.WhenAny(forward, leaderChange).ConfigureAwait(false) != forward)
            {
                await call.CancelAsync().ConfigureAwait(false);
                _ = forward.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }

            outcome = forward.IsCompletedSuccessfully ? await forward.ConfigureAwait(false) : ForwardOutcome.LeaderChanged;
        }
        catch (Exception)
        {
            // Sent, perhaps, then the call failed (or the node is stopping): ambiguous, as a lost forward.
            outcome = ForwardOutcome.LeaderChanged;
        }
        finally
        {
            foreach (CancellationTokenRegistration registration in abandon)
            {
                await registration.DisposeAsync().ConfigureAwait(false); // waits for a callback running now: `call` outlives it
            }

            inFlight.Release();
        }

        foreach (Pending pending in batch)
        {
            pending.Outcome.TrySetResult(outcome);
        }
    }

    private sealed class Pending(RaftPeer leader, Proposal proposal, CancellationToken cancellation)
    {
        public RaftPeer Leader { get; } = leader;

        public Proposal Proposal { get; } = proposal;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<ForwardOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
