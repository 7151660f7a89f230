using System.Globalization;

namespace Backbone.Bench;

/// <summary>
/// Merges the lines of one point measured in several rounds (bench/run-cluster.sh with
/// <c>BENCH_ROUNDS</c>, each line tagged <c>round=N</c>). On a 2-core machine one round's ratio
/// moves by 15-30% between runs of the same code, so a target is judged by the median and the
/// spread of the rounds, never by one.
/// </summary>
public static class RoundStats
{
    /// <summary>Counts of failures: summed over the rounds, so that one bad round is never hidden by a median.</summary>
    private static readonly HashSet<string> Summed = new(StringComparer.Ordinal) { "errors", "timeouts" };

    /// <summary>
    /// One line standing for a point's lines: a field that is a number on every line becomes their
    /// median (the mean of the middle two for an even count), printed with as many decimals as its
    /// most precise input, or their sum for the failure counts; other fields come from the first line.
    /// </summary>
    public static Dictionary<string, string> Merge(List<Dictionary<string, string>> rows)
    {
        if (rows.Count == 1)
        {
            return rows[0];
        }

        var merged = new Dictionary<string, string>(rows[0], StringComparer.Ordinal);
        foreach (string key in rows[0].Keys)
        {
            var values = new List<double>();
            int decimals = 0;
            foreach (Dictionary<string, string> row in rows)
            {
                string text = row.GetValueOrDefault(key, "");
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                {
                    break;
                }

                values.Add(value);
                int dot = text.IndexOf('.', StringComparison.Ordinal);
                decimals = Math.Max(decimals, dot < 0 ? 0 : text.Length - dot - 1);
            }

            if (values.Count == rows.Count)
            {
                double merge = Summed.Contains(key) ? values.Sum() : Median(values);
                merged[key] = merge.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            }
        }

        return merged;
    }

    /// <summary>
    /// "1.382× (1.180-1.420×, 3 rounds)": the median, lowest and highest of the per-round ratios
    /// Backbone / etcd of <paramref name="key"/>, each round's lines paired by their round tag (so
    /// a drift over the run cancels out within a pair); null with fewer than two such pairs. Three
    /// decimals: a target of 2× must not read as met when the ratio is 1.997.
    /// </summary>
    public static string? Ratio(List<Dictionary<string, string>> backbone, List<Dictionary<string, string>> etcd, string key)
    {
        var ratios = new List<double>();
        foreach (Dictionary<string, string> b in backbone)
        {
            string? round = b.GetValueOrDefault("round");
            Dictionary<string, string>? e = round is null ? null : etcd.Find(r => r.GetValueOrDefault("round") == round);
            double ratio = e is null ? double.NaN : Number(b, key) / Number(e, key);
            if (double.IsFinite(ratio))
            {
                ratios.Add(ratio);
            }
        }

        return ratios.Count < 2
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"{Median(ratios):0.000}× ({ratios.Min():0.000}-{ratios.Max():0.000}×, {ratios.Count} rounds)");
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = [.. values.Order()];
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>A field as a number; NaN when absent or not one (shared with <see cref="ReportWriter"/>).</summary>
    internal static double Number(Dictionary<string, string> row, string key) =>
        double.TryParse(row.GetValueOrDefault(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN;
}
