using Backbone.Store.Watch;

namespace Backbone.Store.Tests.Watch;

/// <summary>Random watch requests over <see cref="RandomWorkload"/>'s key space: one key, a range, a prefix or all keys; past, current and future starts; prev_kv, filters, progress_notify.</summary>
internal static class RandomWatchSpecs
{
    private static readonly byte[] AllKeys = [0];

    public static WatchSpec Next(Random random, long currentRevision, long watchId = 0)
    {
        (byte[] key, byte[] end) = random.Next(6) switch
        {
            0 or 1 => (RandomWorkload.Keys[random.Next(RandomWorkload.Keys.Count)], []),
            2 or 3 => RandomWorkload.Ranges[random.Next(RandomWorkload.Ranges.Count)],
            _ => (AllKeys, AllKeys),
        };
        long start = random.Next(10) switch
        {
            0 or 1 or 2 => 0,
            3 => 1,
            4 or 5 or 6 => random.NextInt64(1, currentRevision + 2),
            7 or 8 => currentRevision + random.Next(1, 60),
            _ => currentRevision + 100_000, // never reached: no events, still synced
        };
        int filter = random.Next(10);
        return new WatchSpec
        {
            Key = key,
            RangeEnd = end,
            StartRevision = start,
            PrevKv = random.Next(2) == 0,
            ProgressNotify = random.Next(3) == 0,
            NoPut = filter == 0,
            NoDelete = filter == 1,
            WatchId = watchId,
        };
    }

    public static string Describe(WatchSpec spec) =>
        $"[{WatchHistoryChecker.KeyText(spec.Key)}, {WatchHistoryChecker.KeyText(spec.RangeEnd)}) from {spec.StartRevision}"
        + (spec.PrevKv ? " prev_kv" : "") + (spec.NoPut ? " noput" : "") + (spec.NoDelete ? " nodelete" : "")
        + (spec.WatchId != 0 ? $" id {spec.WatchId}" : "");
}
