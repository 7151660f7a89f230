using Backbone.Store.Raft;

namespace Backbone.Server.Tests.Membership;

/// <summary>
/// Linearizable reads share fences (ReadIndex): one in flight, the reads that arrive meanwhile
/// join the next one. A fence that completes at once (this node just lost leadership) once left
/// the "in flight" mark set for good, and every later linearizable read on that node timed out.
/// </summary>
public sealed class ReadFencesTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task FenceThatCompletesAtOnceDoesNotBlockTheNextReads()
    {
        int fences = 0;
        var reads = new ReadFences(_ =>
        {
            fences++;
            return Task.FromResult<long?>(null); // not the leader: answered synchronously
        });

        for (int i = 0; i < 3; i++)
        {
            Assert.Null(await reads.ConfirmAsync(CancellationToken.None).WaitAsync(Bound));
        }

        Assert.Equal(3, fences);
    }

    [Fact]
    public async Task ReadsArrivingDuringAFenceShareTheNextOne()
    {
        var started = new List<TaskCompletionSource<long?>>();
        var reads = new ReadFences(_ =>
        {
            var fence = new TaskCompletionSource<long?>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (started)
            {
                started.Add(fence);
            }

            return fence.Task;
        });

        Task<long?> first = reads.ConfirmAsync(CancellationToken.None);
        Task<long?>[] later = [reads.ConfirmAsync(CancellationToken.None), reads.ConfirmAsync(CancellationToken.None)];
        Assert.Single(started);
        started[0].SetResult(10);
        Assert.Equal(10, await first.WaitAsync(Bound));

        // The later reads must not take the first fence's answer: it may predate them.
        await PollAsync(() => started.Count == 2);
        Assert.False(later[0].IsCompleted);
        started[1].SetResult(20);
        Assert.Equal([20L, 20L], (await Task.WhenAll(later).WaitAsync(Bound)).Select(i => i!.Value));

        // Idle again: the next read starts a fence of its own.
        Task<long?> next = reads.ConfirmAsync(CancellationToken.None);
        await PollAsync(() => started.Count == 3);
        started[2].SetResult(30);
        Assert.Equal(30, await next.WaitAsync(Bound));
    }

    [Fact]
    public async Task FailedFenceAnswersNullAndTheNextReadTriesAgain()
    {
        int fences = 0;
        var reads = new ReadFences(async _ =>
        {
            await Task.Yield();
            return ++fences == 1 ? throw new InvalidOperationException("leadership lost") : 7;
        });

        Assert.Null(await reads.ConfirmAsync(CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(7, await reads.ConfirmAsync(CancellationToken.None).WaitAsync(Bound));
    }

    private static async Task PollAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Bound);
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
