using Xunit.Abstractions;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// Randomized concurrent workloads against many watches, checked with <see cref="WatchHistoryChecker"/>:
/// writers race each other while watches are created, canceled, recreated and asked for progress;
/// some streams are read slowly, and a tiny watcher buffer forces watches through catch-up.
/// </summary>
public sealed class WatchGuaranteesTests(ITestOutputHelper output)
{
    private const int Writers = 4;
    private const int WritesPerWriter = 300;
    private const int Streams = 4;
    private const int MaxLiveWatches = 40;
    private const int ChurnEveryWrites = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1024)]
    [InlineData(16)]
    [InlineData(1)]
    public async Task RandomConcurrentWorkloadKeepsWatchGuarantees(int watcherBufferEvents)
    {
        int seed = TestSeed.Choose(output, $"{nameof(RandomConcurrentWorkloadKeepsWatchGuarantees)}({watcherBufferEvents})");
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(
            dir.Options with { UnsafeNoFsync = true, WatcherBufferEvents = watcherBufferEvents }, random: new Random(seed));
        HistoryRecorder recorder = new(engine);
        List<WatchClient> clients = [.. Enumerable.Range(0, Streams).Select(i =>
            new WatchClient($"stream{i}", engine.OpenWatchStream(), slowness: i % 2 == 1 ? new Random(seed + 100 + i) : null))];
        WatchChurn churn = new(engine, clients, new Random(seed + 200), MaxLiveWatches);
        Lock churnLock = new();
        int writes = 0;
        RandomWorkload workload = new(engine)
        {
            // Every few writes one churn action, from whichever writer: creates stay in one order per stream.
            AfterWrite = () =>
            {
                if (Interlocked.Increment(ref writes) % ChurnEveryWrites == 0)
                {
                    lock (churnLock)
                    {
                        churn.Step();
                    }
                }
            },
        };
        await workload.RunWriterAsync(Writers, new Random(seed + Writers + 1), 40, CancellationToken.None); // so that past starts exist
        foreach (WatchClient client in clients)
        {
            client.StartReading();
            for (int i = 0; i < 3; i++)
            {
                churn.CreateRandom(client);
            }
        }

        Task writers = Task.WhenAll(Enumerable.Range(0, Writers).Select(w =>
            Task.Run(() => workload.RunWriterAsync(w, new Random(seed + w + 1), WritesPerWriter, CancellationToken.None))));
        await writers.WaitAsync(Deadline);
        long final = engine.Revision;
        bool[] reached = await Task.WhenAll(clients.Select(c => c.WaitForProgressAsync(final, Deadline)));
        Assert.All(reached, Assert.True);

        List<WatchObservation> observations = [];
        foreach (WatchClient client in clients)
        {
            observations.AddRange(await client.CloseAsync(final));
        }

        recorder.CatchUpTo(final);
        List<CommittedRevision> history = recorder.Build(workload.Claims);
        output.WriteLine($"churn: {churn.Creates} creates, {churn.Cancels} cancels, {churn.ProgressRequests} progress requests");
        WatchVerdict.Summarize(output, history, observations);
        WatchVerdict.AssertNone(output, seed, WatchVerdict.Collect(recorder, clients, observations, new WatchHistoryChecker(history)));
    }
}
