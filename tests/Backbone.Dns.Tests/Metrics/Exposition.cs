using System.Globalization;
using System.Text.RegularExpressions;

namespace Backbone.Dns.Tests.Metrics;

/// <summary>
/// A scrape read back strictly, as Prometheus would read it: every line is <c># HELP</c>,
/// <c># TYPE</c> or a sample, each family once, with its HELP and TYPE before its samples and
/// every sample inside its family; a histogram's buckets never go down and its +Inf bucket is its
/// count. Anything else throws with the offending line. (The DNS and the node tests share it.)
/// </summary>
internal sealed partial class Exposition
{
    private readonly Dictionary<string, double> samples = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> types = new(StringComparer.Ordinal);

    /// <summary>Family name → its type (counter, gauge, histogram).</summary>
    public IReadOnlyDictionary<string, string> Types => types;

    /// <summary>The value of one series, written as it appears: <c>name</c> or <c>name{label="value"}</c>.</summary>
    public double this[string series] =>
        samples.TryGetValue(series, out double value) ? value : throw new KeyNotFoundException($"{series} is not in the scrape; it has {string.Join(", ", samples.Keys)}");

    public static Exposition Parse(string text)
    {
        if (text.Length == 0 || text[^1] != '\n')
        {
            throw new FormatException("a scrape ends with a newline");
        }

        var parsed = new Exposition();
        string? help = null;
        string? family = null;
        foreach (string line in text[..^1].Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                help = line.Split(' ')[2];
            }
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ');
                if (parts.Length != 4 || parts[2] != help || parts[3] is not ("counter" or "gauge" or "histogram") || !parsed.types.TryAdd(parts[2], parts[3]))
                {
                    throw new FormatException($"a TYPE without its HELP, of an unknown type, or of a family seen before: {line}");
                }

                family = parts[2];
            }
            else
            {
                Match sample = SampleLine().Match(line);
                if (!sample.Success || family is null || !BelongsTo(sample.Groups["name"].Value, family, parsed.types[family]))
                {
                    throw new FormatException($"not a sample of the current family {family}: {line}");
                }

                if (!parsed.samples.TryAdd(sample.Groups["series"].Value, Value(sample.Groups["value"].Value)))
                {
                    throw new FormatException($"a series written twice: {line}");
                }
            }
        }

        foreach ((string name, string type) in parsed.types)
        {
            if (type == "histogram")
            {
                parsed.Histogram(name); // checks it
            }
        }

        return parsed;
    }

    /// <summary>A histogram's cumulative buckets (by le, in order), sum and count, checked for consistency.</summary>
    public (IReadOnlyList<(string Le, double Count)> Buckets, double Sum, double Count) Histogram(string name)
    {
        string prefix = name + "_bucket{le=\"";
        List<(string Le, double Count)> buckets = [.. samples.Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(s => (s.Key[prefix.Length..^2], s.Value))];
        for (int i = 1; i < buckets.Count; i++)
        {
            if (buckets[i].Count < buckets[i - 1].Count || Value(buckets[i].Le) <= Value(buckets[i - 1].Le))
            {
                throw new FormatException($"{name}: bucket le={buckets[i].Le} is not cumulative after le={buckets[i - 1].Le}");
            }
        }

        double count = this[name + "_count"];
        if (buckets.Count == 0 || buckets[^1].Le != "+Inf" || buckets[^1].Count != count)
        {
            throw new FormatException($"{name}: the last bucket must be le=\"+Inf\" and hold the count ({count})");
        }

        return (buckets, this[name + "_sum"], count);
    }

    private static bool BelongsTo(string name, string family, string type) =>
        name == family || (type == "histogram" && (name == family + "_bucket" || name == family + "_sum" || name == family + "_count"));

    private static double Value(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    [GeneratedRegex("""^(?<series>(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})?) (?<value>\S+)$""")]
    private static partial Regex SampleLine();
}
