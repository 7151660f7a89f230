namespace Backbone.Store.Raft;

/// <summary>
/// ReadIndex without trusting clocks: the leader proves it still leads by a quorum's answers to a
/// replication round (or, before it has committed anything in its term, by committing a tiny
/// fence entry: see <c>RaftNode.CommitFenceAsync</c>), and the commit index it sees then covers
/// every write acknowledged before the reads that asked. Reads share fences: a read joins the
/// next fence that starts after it arrived (never one already in flight, whose quorum answers may
/// predate the read), so under load there is at most one fence in flight and one forming.
/// RaftNode shares the rounds it starts after commits the same way (<c>PropagateCommit</c>).
/// A leader lease would save the round trip, but DotNext's lease equals the lower election
/// timeout with no drift margin, and a leader resumed from a pause can read its lease as live
/// before its timer fires: we do not serve linearizable reads from it.
/// </summary>
internal sealed class ReadFences(Func<CancellationToken, Task<long?>> commitFence)
{
    private readonly Lock gate = new();
    private bool inFlight;
    private TaskCompletionSource<long?>? forming;

    /// <summary>The commit index after a fence that started after this call, or null when this node does not lead.</summary>
    public Task<long?> ConfirmAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<long?>? starting = null;
        Task<long?> answer;
        lock (gate)
        {
            if (inFlight)
            {
                forming ??= new TaskCompletionSource<long?>(TaskCreationOptions.RunContinuationsAsynchronously);
                answer = forming.Task;
            }
            else
            {
                inFlight = true;
                starting = new TaskCompletionSource<long?>(TaskCreationOptions.RunContinuationsAsynchronously);
                answer = starting.Task;
            }
        }

        // Started outside the lock, and whoever runs the loop clears inFlight itself: a fence that
        // completes synchronously (this node just lost leadership) must not leave a stale "in flight".
        if (starting is not null)
        {
            _ = RunAsync(starting);
        }

        return answer.WaitAsync(cancellationToken);
    }

    /// <summary>Commits fences back to back while reads keep forming behind the one in flight; never throws.</summary>
    private async Task RunAsync(TaskCompletionSource<long?> waiters)
    {
        while (true)
        {
            long? index;
            try
            {
                index = await commitFence(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                index = null; // leadership lost (or stopping): the readers look for the leader again
            }

            waiters.TrySetResult(index);
            lock (gate)
            {
                if (forming is not { } next)
                {
                    inFlight = false;
                    return;
                }

                forming = null;
                waiters = next;
            }
        }
    }
}
