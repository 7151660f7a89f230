using Backbone.Store.Watch;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// A watch canceled (by the client, or by compaction) while it catches up from history: nothing of
/// it may follow its Canceled answer, even under a reused watch id, and a progress request that was
/// waiting for it must still be answered.
///
/// Set-up: 64 revisions of 64 puts from revision b, a watch from revision 1 on a stream nobody
/// reads yet, with room for 3 messages. Its Created answer and the chunks through b+15 and b+31
/// (1,024 events each) fill the stream; the catch-up task then holds the chunk b+32..b+47, waiting
/// for room. The tests see that point through the watch's next revision (b+32).
/// </summary>
public sealed class WatchCancelTests
{
    private const int BufferMessages = 3;
    private const long BehindId = 7;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly byte[] AllKeys = [0];

    [Fact]
    public async Task CancelDuringCatchUpSendsNothingAfterCanceled()
    {
        using TempDir dir = new();
        await using StoreEngine engine = OpenEngine(dir);
        RandomWorkload workload = new(engine);
        HistoryRecorder recorder = new(engine);
        (WatchClient client, _) = await StartBehindWatchAsync(engine, workload);

        Assert.True(client.Cancel(BehindId));
        client.Create("reused id", new WatchSpec { Key = "x"u8.ToArray(), WatchId = BehindId });
        client.StartReading();

        // Created, two chunks, Canceled, Created: the held chunk, if it were still sent, would come next.
        Assert.True(await client.WaitForMessagesAsync(5, Deadline));
        long final = await workload.PutAsync("x", "1", default);
        Assert.True(await client.WaitForProgressAsync(final, Deadline));

        List<WatchObservation> observations = await client.CloseAsync(final);
        Assert.Empty(Check(recorder, workload, client, observations, final));
    }

    [Fact]
    public async Task ProgressRequestedBeforeCancelIsAnswered()
    {
        using TempDir dir = new();
        await using StoreEngine engine = OpenEngine(dir);
        RandomWorkload workload = new(engine);
        (WatchClient client, _) = await StartBehindWatchAsync(engine, workload);

        client.Stream.RequestProgress(); // deferred: the watch is not synced
        Assert.True(client.Cancel(BehindId));
        client.StartReading();

        Assert.True(await client.WaitForAnyProgressAsync(Deadline), "the progress request was never answered");
    }

    [Fact]
    public async Task ProgressRequestedBeforeCompactedCancelIsAnswered()
    {
        using TempDir dir = new();
        await using StoreEngine engine = OpenEngine(dir);
        RandomWorkload workload = new(engine);
        HistoryRecorder recorder = new(engine);
        (WatchClient client, long firstBulk) = await StartBehindWatchAsync(engine, workload);
        recorder.CatchUpTo(engine.Revision);

        long compactAt = firstBulk + 54; // past the held chunk: the next read, from b+48, is compacted
        await engine.CompactAsync(compactAt, physical: false, default);
        client.Stream.RequestProgress(); // deferred: the watch is not synced
        client.StartReading();

        Assert.True(await client.WaitForAnyProgressAsync(Deadline), "the progress request was never answered");
        List<WatchObservation> observations = await client.CloseAsync(engine.Revision);
        WatchObservation behind = Assert.Single(observations);
        Assert.True(behind.IsCanceled);
        Assert.Equal(compactAt, behind.Messages[^1].CompactRevision);
        WatchHistoryChecker checker = new(recorder.Build(workload.Claims), prevKvMayBeMissingThrough: compactAt);
        Assert.Empty(recorder.Problems);
        Assert.Empty(checker.Check(behind));
    }

    private static StoreEngine OpenEngine(TempDir dir) =>
        StoreEngine.Open(dir.Options with { UnsafeNoFsync = true, WatcherBufferEvents = BufferMessages });

    /// <summary>Writes the history and returns a client whose watch <see cref="BehindId"/> holds a chunk, waiting for room, and the first bulk revision.</summary>
    private static async Task<(WatchClient Client, long FirstBulk)> StartBehindWatchAsync(StoreEngine engine, RandomWorkload workload)
    {
        long firstBulk = await workload.WriteBulkAsync(txns: 64, keysPerTxn: 64, default);
        WatchClient client = new("stream", engine.OpenWatchStream());
        client.Create("behind", new WatchSpec { Key = AllKeys, RangeEnd = AllKeys, StartRevision = 1, PrevKv = true, WatchId = BehindId });

        // The hub's own view of the watch (internal): its next revision moves only when a chunk is queued.
        Watcher watcher = client.Stream.Watchers[BehindId];
        using CancellationTokenSource deadline = new(Deadline);
        while (watcher.NextRevision < firstBulk + 32)
        {
            await Task.Delay(1, deadline.Token);
        }

        return (client, firstBulk);
    }

    private static List<string> Check(HistoryRecorder recorder, RandomWorkload workload, WatchClient client, List<WatchObservation> observations, long final)
    {
        recorder.CatchUpTo(final);
        return WatchVerdict.Collect(recorder, [client], observations, new WatchHistoryChecker(recorder.Build(workload.Claims)));
    }
}
