using System.Diagnostics;

namespace Backbone.Core.Metrics;

/// <summary>
/// A fixed-bucket histogram of durations for Prometheus, lock-free and allocation-free to
/// observe: callers on many threads (every DNS query) each do one bucket search over at most a
/// few dozen longs and two interlocked adds. Buckets are Prometheus's <c>le</c> buckets: an
/// observation lands in the first bucket whose bound it does not exceed (a bound is inclusive).
/// </summary>
/// <remarks>
/// Worked example with bounds [0.001, 0.01] s: observing 0.0005 s, 0.001 s, 0.002 s and 3 s keeps
/// per-bucket counts [2, 1, 1] (the last is above every bound) and a sum of 3.0035 s; the snapshot
/// is cumulative: le="0.001" 2, le="0.01" 3, le="+Inf" 4, count 4.
/// Counts are kept per bucket, not cumulatively, so an observation touches one bucket; the
/// snapshot adds them up. A snapshot taken while others observe is not one instant: the count
/// always equals the +Inf bucket (it is derived from the buckets), but the sum may include an
/// observation a bucket does not yet, or the other way round, as with every Prometheus client.
/// </remarks>
public sealed class DurationHistogram
{
    /// <summary>
    /// Prometheus's default buckets (5 ms to 10 s) reach too high and too coarse for answers
    /// from memory, which take tens of microseconds; these start at 25 µs and end at 2.5 s
    /// (beyond that is the +Inf bucket: a forward that timed out).
    /// </summary>
    public static readonly IReadOnlyList<double> DefaultBoundsSeconds =
        [0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private const int MaxBuckets = 64;

    private readonly double[] boundsSeconds;

    /// <summary>The bounds in Stopwatch ticks, so observing compares integers and never converts.</summary>
    private readonly long[] boundsTicks;

    /// <summary>Per bucket (not cumulative); the last entry counts observations above every bound.</summary>
    private readonly long[] counts;

    private long sumTicks;

    public DurationHistogram()
        : this(DefaultBoundsSeconds)
    {
    }

    /// <param name="boundsSeconds">Finite, positive, strictly ascending upper bounds; at most 64.</param>
    public DurationHistogram(IReadOnlyList<double> boundsSeconds)
    {
        if (boundsSeconds.Count is 0 or > MaxBuckets)
        {
            throw new ArgumentException($"a histogram needs 1 to {MaxBuckets} bounds, not {boundsSeconds.Count}", nameof(boundsSeconds));
        }

        this.boundsSeconds = [.. boundsSeconds];
        boundsTicks = new long[boundsSeconds.Count];
        for (int i = 0; i < boundsSeconds.Count; i++)
        {
            double bound = boundsSeconds[i];
            if (!double.IsFinite(bound) || bound <= 0 || (i > 0 && bound <= boundsSeconds[i - 1]))
            {
                throw new ArgumentException($"bounds must be finite, positive and ascending; {bound} at {i} is not", nameof(boundsSeconds));
            }

            // Rounded, not truncated: a decimal bound times the frequency can land a hair below the
            // whole number of ticks it means (binary floating point), and an observation of
            // exactly the bound belongs in its bucket.
            boundsTicks[i] = (long)Math.Round(bound * Stopwatch.Frequency);
        }

        counts = new long[boundsSeconds.Count + 1];
    }

    public IReadOnlyList<double> BoundsSeconds => boundsSeconds;

    /// <summary>Observes a duration measured as a difference of <see cref="Stopwatch.GetTimestamp"/>s (negative counts as 0).</summary>
    public void ObserveStopwatchTicks(long elapsedTicks)
    {
        if (elapsedTicks < 0)
        {
            elapsedTicks = 0; // a clock read on another core can be a hair behind: never a negative sum
        }

        long[] bounds = boundsTicks;
        int bucket = 0;
        while (bucket < bounds.Length && elapsedTicks > bounds[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref counts[bucket]);
        Interlocked.Add(ref sumTicks, elapsedTicks);
    }

    public void Observe(TimeSpan elapsed) =>
        ObserveStopwatchTicks(Stopwatch.Frequency == TimeSpan.TicksPerSecond ? elapsed.Ticks : (long)(elapsed.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond)));

    /// <summary>The cumulative buckets, sum (seconds) and count now (allocates: for a scrape, not the hot path).</summary>
    public HistogramSnapshot Snapshot()
    {
        long[] cumulative = new long[counts.Length];
        long running = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            running += Interlocked.Read(ref counts[i]);
            cumulative[i] = running;
        }

        return new HistogramSnapshot(boundsSeconds, cumulative, (double)Interlocked.Read(ref sumTicks) / Stopwatch.Frequency);
    }
}
