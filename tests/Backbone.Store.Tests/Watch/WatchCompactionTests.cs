using Backbone.Store.Watch;
using Xunit.Abstractions;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// Compaction in the middle of a run: watches that still need a compacted revision (new ones with
/// an old start, and ones stuck in catch-up below it) are canceled with CompactRevision; the others
/// go on, and a watch starting exactly at the compaction point still sees that revision's delete.
/// </summary>
public sealed class WatchCompactionTests(ITestOutputHelper output)
{
    private const int BufferMessages = 2;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly byte[] AllKeys = [0];

    [Fact]
    public async Task CompactionCancelsOnlyWatchesBelowIt()
    {
        int seed = TestSeed.Choose(output, nameof(CompactionCancelsOnlyWatchesBelowIt));
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(
            dir.Options with { UnsafeNoFsync = true, WatcherBufferEvents = BufferMessages }, random: new Random(seed));
        HistoryRecorder recorder = new(engine);
        RandomWorkload workload = new(engine);

        // History: 48 revisions of 64 puts (catch-up chunks end every 16), random writes, then a
        // delete at the compaction point itself and one more write.
        long firstBulk = await workload.WriteBulkAsync(txns: 48, keysPerTxn: 64, default);
        await Task.WhenAll(Enumerable.Range(0, 2).Select(w => workload.RunWriterAsync(w, new Random(seed + w), 100, default)));
        await workload.PutAsync("k/z", "doomed", default);
        long compactAt = await workload.DeleteAsync("k/z", default);
        await workload.PutAsync("k/a", "after", default);
        recorder.CatchUpTo(engine.Revision);

        // Before the compaction: a stream nobody reads (its watches stay in catch-up far below the
        // compaction point), and a live one.
        WatchClient stalled = new("stalled", engine.OpenWatchStream());
        stalled.Create("all from 1", new WatchSpec { Key = AllKeys, RangeEnd = AllKeys, StartRevision = 1, PrevKv = true });
        stalled.Create("b/ from bulk", new WatchSpec { Key = "b/"u8.ToArray(), RangeEnd = "b0"u8.ToArray(), StartRevision = firstBulk });
        WatchClient live = new("live", engine.OpenWatchStream());
        live.StartReading();
        live.Create("all from now", new WatchSpec { Key = AllKeys, RangeEnd = AllKeys, PrevKv = true });
        live.Create("k/ from 1", new WatchSpec { Key = "k/"u8.ToArray(), RangeEnd = "k0"u8.ToArray(), StartRevision = 1, PrevKv = true });

        Task writers = Task.WhenAll(Enumerable.Range(2, 2).Select(w =>
            Task.Run(() => workload.RunWriterAsync(w, new Random(seed + w), 200, default))));
        await engine.CompactAsync(compactAt, physical: true, default);

        WatchClient after = new("after", engine.OpenWatchStream());
        after.StartReading();
        after.Create("from 1", new WatchSpec { Key = AllKeys, RangeEnd = AllKeys, StartRevision = 1 });
        after.Create("just below", new WatchSpec { Key = AllKeys, RangeEnd = AllKeys, StartRevision = compactAt - 1, PrevKv = true });
        after.Create("k/z at the point", new WatchSpec { Key = "k/z"u8.ToArray(), StartRevision = compactAt, PrevKv = true });
        after.Create("all at the point", new WatchSpec { Key = AllKeys, RangeEnd = AllKeys, StartRevision = compactAt, PrevKv = true });
        after.Create("k/ above", new WatchSpec { Key = "k/"u8.ToArray(), RangeEnd = "k0"u8.ToArray(), StartRevision = compactAt + 1 });
        stalled.StartReading();

        await writers.WaitAsync(Deadline);
        long final = engine.Revision;
        WatchClient[] clients = [stalled, live, after];
        Assert.All(await Task.WhenAll(clients.Select(c => c.WaitForProgressAsync(final, Deadline))), Assert.True);
        List<WatchObservation> observations = [];
        foreach (WatchClient client in clients)
        {
            observations.AddRange(await client.CloseAsync(final));
        }

        recorder.CatchUpTo(final);
        List<CommittedRevision> history = recorder.Build(workload.Claims);
        WatchVerdict.Summarize(output, history, observations);
        WatchVerdict.AssertNone(output, seed, WatchVerdict.Collect(recorder, clients, observations, new WatchHistoryChecker(history, prevKvMayBeMissingThrough: compactAt)));

        Dictionary<string, WatchObservation> byName = observations.ToDictionary(o => o.Name);
        foreach (string name in new[] { "stalled/all from 1", "stalled/b/ from bulk", "after/from 1", "after/just below" })
        {
            WatchObservation watch = byName[name];
            Assert.True(watch.IsCanceled, $"{name} was not canceled");
            Assert.Equal(compactAt, watch.Messages[^1].CompactRevision);
        }

        Assert.Equal(0, byName["after/from 1"].EventCount);
        Assert.Equal(0, byName["after/just below"].EventCount);
        foreach (string name in new[] { "live/all from now", "after/k/z at the point", "after/all at the point", "after/k/ above" })
        {
            Assert.False(byName[name].IsCanceled, $"{name} was canceled");
        }

        WatchMessage first = byName["after/k/z at the point"].Messages.First(m => m.Events.Count > 0);
        Assert.Equal((Backbone.Store.Model.WatchEventType.Delete, compactAt), (first.Events[0].Type, first.Events[0].Kv.ModRevision));
    }
}
