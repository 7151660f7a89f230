using System.Diagnostics;
using Backbone.Core.Metrics;

namespace Backbone.Dns.Tests.Metrics;

/// <summary>Which bucket an observation lands in (a bound is inclusive), the cumulative snapshot, and the hot path's promises: lock-free, allocation-free.</summary>
public sealed class DurationHistogramTests
{
    private static readonly double[] Bounds = [0.001, 0.01];

    [Fact]
    public void TheWorkedExampleOfItsComment()
    {
        var histogram = new DurationHistogram(Bounds);

        histogram.Observe(TimeSpan.FromMicroseconds(500));
        histogram.Observe(TimeSpan.FromMilliseconds(1));
        histogram.Observe(TimeSpan.FromMilliseconds(2));
        histogram.Observe(TimeSpan.FromSeconds(3));

        HistogramSnapshot snapshot = histogram.Snapshot();
        Assert.Equal([2L, 3L, 4L], snapshot.CumulativeCounts);
        Assert.Equal(4, snapshot.Count);
        Assert.Equal(3.0035, snapshot.Sum, 9);
        Assert.Equal(Bounds, snapshot.UpperBounds);
    }

    [Fact]
    public void ABoundIsInclusiveAndOneTickMoreIsTheNextBucket()
    {
        var histogram = new DurationHistogram(Bounds);
        long boundTicks = (long)Math.Round(0.001 * Stopwatch.Frequency);

        histogram.ObserveStopwatchTicks(boundTicks);
        Assert.Equal([1L, 1L, 1L], histogram.Snapshot().CumulativeCounts);

        histogram.ObserveStopwatchTicks(boundTicks + 1);
        Assert.Equal([1L, 2L, 2L], histogram.Snapshot().CumulativeCounts);
    }

    [Fact]
    public void TheDefaultBoundsStartAt25MicrosecondsWhichIsExact()
    {
        var histogram = new DurationHistogram();

        histogram.Observe(TimeSpan.FromMicroseconds(25)); // exactly the first bound: le="2.5e-05"
        histogram.Observe(TimeSpan.FromMicroseconds(30));
        histogram.Observe(TimeSpan.FromSeconds(10));

        HistogramSnapshot snapshot = histogram.Snapshot();
        Assert.Equal(DurationHistogram.DefaultBoundsSeconds, snapshot.UpperBounds);
        Assert.Equal(0.000025, snapshot.UpperBounds[0]);
        Assert.Equal(2.5, snapshot.UpperBounds[^1]);
        Assert.Equal(1, snapshot.CumulativeCounts[0]);
        Assert.Equal(2, snapshot.CumulativeCounts[1]);
        Assert.Equal(2, snapshot.CumulativeCounts[^2]); // 10 s is above 2.5 s: only in +Inf
        Assert.Equal(3, snapshot.Count);
    }

    [Fact]
    public void ANegativeDurationCountsAsZero()
    {
        var histogram = new DurationHistogram(Bounds);

        histogram.ObserveStopwatchTicks(-5);

        HistogramSnapshot snapshot = histogram.Snapshot();
        Assert.Equal([1L, 1L, 1L], snapshot.CumulativeCounts);
        Assert.Equal(0, snapshot.Sum);
    }

    [Fact]
    public void ObservationsFromManyThreadsAreAllCounted()
    {
        const int Threads = 4;
        const int Each = 100_000;
        var histogram = new DurationHistogram(Bounds);
        long fiveMs = (long)Math.Round(0.005 * Stopwatch.Frequency);

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (int i = 0; i < Each; i++)
            {
                histogram.ObserveStopwatchTicks(fiveMs);
            }
        });

        HistogramSnapshot snapshot = histogram.Snapshot();
        Assert.Equal([0L, Threads * Each, Threads * Each], snapshot.CumulativeCounts);
        Assert.Equal(0.005 * Threads * Each, snapshot.Sum, 6);
    }

    [Fact]
    public void ObservingAllocatesNothing()
    {
        var histogram = new DurationHistogram();
        histogram.ObserveStopwatchTicks(1);

        // The fewest bytes of three rounds (the runtime may allocate once while it tiers the loop
        // up; an allocation per call would show in every round).
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000; i++)
            {
                histogram.ObserveStopwatchTicks(i * 1_000L);
                histogram.Observe(TimeSpan.FromTicks(i));
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }

    [Theory]
    [InlineData(new double[0])]
    [InlineData(new[] { 0.0, 1.0 })]
    [InlineData(new[] { 1.0, 1.0 })]
    [InlineData(new[] { 2.0, 1.0 })]
    [InlineData(new[] { 1.0, double.PositiveInfinity })]
    public void BoundsMustBePositiveFiniteAndAscending(double[] bounds) =>
        Assert.Throws<ArgumentException>(() => new DurationHistogram(bounds));
}
