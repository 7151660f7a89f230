using System.Diagnostics;

namespace Backbone.Bench;

/// <summary>
/// The phases of one run on the <see cref="Stopwatch"/> clock: warm-up from <see cref="StartTs"/>
/// (connections, JIT, server caches; nothing recorded), then the measured window
/// [<see cref="MeasureStartTs"/>, <see cref="MeasureEndTs"/>). An operation counts when it
/// completes inside the window; clients stop issuing at its end.
/// </summary>
public sealed class RunWindow
{
    private RunWindow(long startTs, long measureStartTs, long measureEndTs)
    {
        StartTs = startTs;
        MeasureStartTs = measureStartTs;
        MeasureEndTs = measureEndTs;
    }

    public long StartTs { get; }

    public long MeasureStartTs { get; }

    public long MeasureEndTs { get; }

    public double MeasuredSeconds => (MeasureEndTs - MeasureStartTs) / (double)Stopwatch.Frequency;

    public static RunWindow StartingNow(double warmupSeconds, double durationSeconds)
    {
        long now = Stopwatch.GetTimestamp();
        long measureStart = now + SecondsToTicks(warmupSeconds);
        return new RunWindow(now, measureStart, measureStart + SecondsToTicks(durationSeconds));
    }

    public bool Contains(long ts) => ts >= MeasureStartTs && ts < MeasureEndTs;

    public static long SecondsToTicks(double seconds) => (long)(seconds * Stopwatch.Frequency);

    public static long TicksToMicroseconds(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;

    /// <summary>Waits until the Stopwatch clock reaches <paramref name="ts"/> (timer precision, ~1 ms).</summary>
    public static async Task DelayUntilAsync(long ts, CancellationToken cancellationToken)
    {
        long wait = ts - Stopwatch.GetTimestamp();
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency), cancellationToken).ConfigureAwait(false);
        }
    }
}
