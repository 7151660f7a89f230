using System.Globalization;

namespace Backbone.DnsBench;

/// <summary>The freshness samples in ms (visible: from the write's send to the new answer; acknowledged: to the write's reply).</summary>
public sealed record FreshnessResult(IReadOnlyList<double> Visible, IReadOnlyList<double> Acknowledged, int Failed)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"RESULT freshness samples={Visible.Count} p50_ms={Percentile(Visible, 0.50):0.00} p99_ms={Percentile(Visible, 0.99):0.00} max_ms={Percentile(Visible, 1.0):0.00} ack_p50_ms={Percentile(Acknowledged, 0.50):0.00} ack_p99_ms={Percentile(Acknowledged, 0.99):0.00} failed={Failed}");

    /// <summary>Nearest rank: the smallest sample at or above fraction <paramref name="p"/> of them (NaN with none).</summary>
    public static double Percentile(IReadOnlyList<double> samples, double p)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = [.. samples.Order()];
        int rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
