using System.Threading.Channels;

namespace Backbone.Store.Raft;

/// <summary>
/// Group commit on the leader: proposals that arrive while earlier entries are being replicated
/// wait here and leave together as one Raft entry (one append, one fsync per member). A few
/// entries may be in flight at once so the pipeline never idles on a single round trip.
/// </summary>
internal sealed class LeaderBatcher : IAsyncDisposable
{
    private const int MaxInFlight = 4;
    private const int MaxBatchBytes = 4 << 20;

    private readonly RaftNode node;
    private readonly Channel<Submission> queue = Channel.CreateUnbounded<Submission>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim inFlight = new(MaxInFlight, MaxInFlight);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public LeaderBatcher(RaftNode node)
    {
        this.node = node;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Queues proposals for the next entry; completes when it committed, or with the reason it did not.</summary>
    public Task<ForwardOutcome> SubmitAsync(IReadOnlyList<Proposal> proposals, CancellationToken cancellationToken)
    {
        var submission = new Submission(proposals);
        if (!queue.Writer.TryWrite(submission))
        {
            return Task.FromResult(ForwardOutcome.NotLeader); // stopping
        }

        return submission.Outcome.Task.WaitAsync(cancellationToken);
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

        while (queue.Reader.TryRead(out Submission? left))
        {
            left.Outcome.TrySetResult(ForwardOutcome.NotLeader);
        }

        stop.Dispose();
    }

    private async Task RunAsync()
    {
        var batch = new List<Submission>();
        var proposals = new List<Proposal>();
        while (await queue.Reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
        {
            await inFlight.WaitAsync(stop.Token).ConfigureAwait(false);
            batch.Clear();
            proposals.Clear();
            int bytes = 0;
            while (proposals.Count < ProposalBatch.MaxCommands && bytes < MaxBatchBytes && queue.Reader.TryPeek(out Submission? next)
                && proposals.Count + next.Proposals.Count <= ProposalBatch.MaxCommands)
            {
                queue.Reader.TryRead(out _);
                batch.Add(next);
                foreach (Proposal p in next.Proposals)
                {
                    proposals.Add(p);
                    bytes += p.Command.Length;
                }
            }

            if (batch.Count == 0)
            {
                inFlight.Release();
                continue;
            }

            _ = ReplicateAsync([.. batch], ProposalBatch.Encode(proposals));
        }
    }

    private async Task ReplicateAsync(Submission[] batch, byte[] entry)
    {
        ForwardOutcome outcome;
        try
        {
            if (!node.TryGetLeadingTerm(out long term))
            {
                outcome = ForwardOutcome.NotLeader; // nothing appended: the callers may retry
            }
            else
            {
                // Completes once committed and applied here; committed means on a quorum's
                // disks (FlushedAppendLog), so it is durable too.
                await node.ReplicateAsync(entry, term, stop.Token).ConfigureAwait(false);
                outcome = ForwardOutcome.Committed;
            }
        }
        catch (Exception)
        {
            // Appended, perhaps, then leadership was lost (or the node is stopping): the entry
            // may still commit under the next leader. Ambiguous, as etcd's "leader changed".
            outcome = ForwardOutcome.LeaderChanged;
        }
        finally
        {
            inFlight.Release();
        }

        foreach (Submission submission in batch)
        {
            submission.Outcome.TrySetResult(outcome);
        }
    }

    private sealed class Submission(IReadOnlyList<Proposal> proposals)
    {
        public IReadOnlyList<Proposal> Proposals { get; } = proposals;

        public TaskCompletionSource<ForwardOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
