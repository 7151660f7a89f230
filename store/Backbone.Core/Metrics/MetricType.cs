namespace Backbone.Core.Metrics;

/// <summary>A metric family's type, as the Prometheus text format's <c># TYPE</c> line names it.</summary>
public enum MetricType
{
    /// <summary>Only goes up (from 0 at the process's start); its name ends in <c>_total</c>.</summary>
    Counter,

    /// <summary>A value that goes up and down (names in a table, connections open).</summary>
    Gauge,

    /// <summary>Cumulative buckets <c>_bucket{le=...}</c>, then <c>_sum</c> and <c>_count</c>.</summary>
    Histogram,
}
