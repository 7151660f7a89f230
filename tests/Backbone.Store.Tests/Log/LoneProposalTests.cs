using Backbone.Store.Model;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Log;

/// <summary>
/// A write that finds the single-node log idle runs its own turn on the caller's thread
/// (LocalCommandLog.TryRunAlone); the others queue for the apply thread. Both kinds share one
/// log order: these tests mix them and check that nothing is lost, doubled or reordered.
/// </summary>
public sealed class LoneProposalTests
{
    [Fact]
    public async Task AWriteOnAnIdleStoreIsDoneWhenTheCallReturns()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Options); // with fdatasync: the apply thread could not finish first
        await engine.PutAsync("warm", "up");

        // Through the apply thread the task would still be running when the call returns. The
        // loop may be in a maintenance turn at any one moment, so half of 20 writes are asked.
        int synchronous = 0;
        for (int i = 0; i < 20; i++)
        {
            Task<PutResult> put = engine.PutAsync($"k{i}", "v");
            synchronous += put.IsCompleted ? 1 : 0;
            Assert.Equal(i + 3, (await put).Revision);
        }

        Assert.True(synchronous >= 10, $"{synchronous} of 20 writes on the idle store completed on their caller's thread");
    }

    [Fact]
    public async Task ConcurrentWritersGetEveryRevisionOnceAndAllSurviveReopen()
    {
        using TempDir dir = new();
        StoreOptions options = dir.Options; // with fsync: the lone turns block in it, as in production
        const int Writers = 8, Each = 150;
        long[][] revisions = new long[Writers][];
        await using (StoreEngine engine = StoreEngine.Open(options))
        {
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                revisions[w] = new long[Each];
                for (int i = 0; i < Each; i++)
                {
                    revisions[w][i] = (await engine.PutAsync($"w{w}/{i}", $"{w}.{i}")).Revision;
                    if (i % 10 == w)
                    {
                        await Task.Delay(1); // let the log go idle now and then, so lone turns happen
                    }
                }
            })));
        }

        long[] all = [.. revisions.SelectMany(r => r).Order()];
        Assert.Equal(Enumerable.Range(2, Writers * Each).Select(r => (long)r), all);
        Assert.All(revisions, r => Assert.Equal(r.Order(), r)); // each writer's own writes in its order

        await using StoreEngine reopened = StoreEngine.Open(options);
        for (int w = 0; w < Writers; w++)
        {
            for (int i = 0; i < Each; i++)
            {
                KeyValue? kv = reopened.Get($"w{w}/{i}");
                Assert.NotNull(kv);
                Assert.Equal($"{w}.{i}", S(kv.Value));
                Assert.Equal(revisions[w][i], kv.ModRevision);
            }
        }
    }

    [Fact]
    public async Task WritesDuringACloseAreDoneOrRefusedAndNoneIsLost()
    {
        using TempDir dir = new();
        StoreOptions options = dir.Options;
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        int refused = 0;
        StoreEngine engine = StoreEngine.Open(options);
        using var stop = new CancellationTokenSource();
        Task[] writers = [.. Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    acknowledged[$"w{w}/{i}"] = (await engine.PutAsync($"w{w}/{i}", "v")).Revision;
                }
                catch (StoreException e) when (e.Error == StoreError.Stopped)
                {
                    Interlocked.Increment(ref refused);
                    return;
                }
            }
        }))];

        await WaitUntilAsync(() => acknowledged.Count >= 200, "200 writes before the close");
        await engine.DisposeAsync();
        await stop.CancelAsync();
        await Task.WhenAll(writers).WaitAsync(PollDeadline);

        Assert.True(refused > 0, "no writer saw the close");
        await using StoreEngine reopened = StoreEngine.Open(options);
        foreach ((string key, long revision) in acknowledged)
        {
            Assert.Equal(revision, reopened.Get(key)?.ModRevision);
        }
    }
}
