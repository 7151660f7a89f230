namespace Backbone.Core.Metrics;

/// <summary>
/// A histogram as Prometheus exposes it: for each upper bound, how many observations were at
/// most that (cumulative), then the +Inf bucket, which is every observation (<see cref="Count"/>).
/// </summary>
/// <param name="UpperBounds">The finite bucket bounds, ascending (the +Inf bucket is implied).</param>
/// <param name="CumulativeCounts">One more entry than <paramref name="UpperBounds"/>: the last is the +Inf bucket.</param>
/// <param name="Sum">The sum of every observed value, in the bounds' unit.</param>
public sealed record HistogramSnapshot(IReadOnlyList<double> UpperBounds, IReadOnlyList<long> CumulativeCounts, double Sum)
{
    public long Count => CumulativeCounts[^1];
}
