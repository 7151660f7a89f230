using Backbone.Store.Watch;
using Xunit.Abstractions;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// A stream nobody reads holds back neither writers nor other streams: its watches drop to
/// catch-up when their room is full, and once it is read it delivers everything, in order.
/// </summary>
public sealed class SlowWatcherTests(ITestOutputHelper output)
{
    private const int BufferMessages = 8;
    private const int Writers = 4;
    private const int WritesPerWriter = 250;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly byte[] AllKeys = [0];

    [Fact]
    public async Task UnreadStreamBlocksNeitherWritersNorOtherWatches()
    {
        int seed = TestSeed.Choose(output, nameof(UnreadStreamBlocksNeitherWritersNorOtherWatches));
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(
            dir.Options with { UnsafeNoFsync = true, WatcherBufferEvents = BufferMessages }, random: new Random(seed));
        HistoryRecorder recorder = new(engine);
        RandomWorkload workload = new(engine);
        await workload.RunWriterAsync(Writers, new Random(seed + Writers), 30, default);

        WatchClient stalled = new("stalled", engine.OpenWatchStream());
        stalled.Create("all from now", new WatchSpec { Key = AllKeys, RangeEnd = AllKeys, PrevKv = true });
        stalled.Create("k/ from 1", new WatchSpec { Key = "k/"u8.ToArray(), RangeEnd = "k0"u8.ToArray(), StartRevision = 1 });
        stalled.Create("k/a deletes", new WatchSpec { Key = "k/a"u8.ToArray(), NoPut = true, PrevKv = true });
        stalled.Create("all from 1", new WatchSpec { Key = AllKeys, RangeEnd = AllKeys, StartRevision = 1, PrevKv = true });
        WatchClient live = new("live", engine.OpenWatchStream());
        live.StartReading();
        live.Create("all from now", new WatchSpec { Key = AllKeys, RangeEnd = AllKeys, PrevKv = true });

        Task writers = Task.WhenAll(Enumerable.Range(0, Writers).Select(w =>
            Task.Run(() => workload.RunWriterAsync(w, new Random(seed + w), WritesPerWriter, default))));
        Task finished = await Task.WhenAny(writers, Task.Delay(Deadline));
        Assert.True(finished == writers, "writers are blocked behind an unread watch stream");
        await writers;

        long final = engine.Revision;
        Assert.True(await live.WaitForProgressAsync(final, Deadline), "a live stream is held back by an unread one");
        Assert.Equal(0, stalled.MessageCount);

        stalled.StartReading();
        Assert.True(await stalled.WaitForProgressAsync(final, Deadline), "the unread stream never caught up");
        List<WatchObservation> observations = [.. await stalled.CloseAsync(final), .. await live.CloseAsync(final)];

        recorder.CatchUpTo(final);
        List<CommittedRevision> history = recorder.Build(workload.Claims);
        WatchVerdict.Summarize(output, history, observations);
        WatchVerdict.AssertNone(output, seed, WatchVerdict.Collect(recorder, [stalled, live], observations, new WatchHistoryChecker(history)));
        Assert.DoesNotContain(observations, o => o.IsCanceled);
    }
}
