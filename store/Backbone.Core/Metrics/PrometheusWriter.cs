using System.Globalization;
using System.Text;

namespace Backbone.Core.Metrics;

/// <summary>
/// Builds one scrape in Prometheus's text exposition format, version 0.0.4. Each family is a
/// <c># HELP</c> line, a <c># TYPE</c> line, then its samples, all together:
/// <code>
/// # HELP backbone_dns_responses_total DNS responses sent, by rcode.
/// # TYPE backbone_dns_responses_total counter
/// backbone_dns_responses_total{rcode="NOERROR"} 12
/// backbone_dns_responses_total{rcode="NXDOMAIN"} 3
/// </code>
/// A counter's name ends in <c>_total</c> (and its # TYPE line names it so, as 0.0.4 has it); a
/// histogram writes <c>NAME_bucket{le="..."}</c> per bound and <c>le="+Inf"</c>, then
/// <c>NAME_sum</c> and <c>NAME_count</c>. Label values escape backslash, double quote and
/// newline; help text escapes backslash and newline.
/// </summary>
/// <remarks>
/// Names are ours, not user input: a name the format cannot carry, a family written twice, or a
/// sample outside its family is a bug and throws. Not thread-safe: one scrape, one writer.
/// </remarks>
public sealed class PrometheusWriter
{
    /// <summary>The Content-Type a scrape is served with.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder text = new();
    private readonly HashSet<string> written = new(StringComparer.Ordinal);
    private string? family;
    private MetricType familyType;

    /// <summary>Starts family <paramref name="name"/>: its # HELP and # TYPE lines. Its samples follow.</summary>
    public void Family(string name, MetricType type, string help)
    {
        RequireMetricName(name);
        if (type == MetricType.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            throw new ArgumentException($"counter {name} must end in _total", nameof(name));
        }

        if (!written.Add(name))
        {
            throw new InvalidOperationException($"family {name} was already written: a family's samples must be together");
        }

        family = name;
        familyType = type;
        text.Append("# HELP ").Append(name).Append(' ');
        AppendEscaped(help, escapeQuotes: false);
        text.Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(TypeName(type)).Append('\n');
    }

    /// <summary>A sample of the current family without labels.</summary>
    public void Sample(string name, double value) => Sample(name, [], value);

    /// <summary>A sample of the current family with one label.</summary>
    public void Sample(string name, string label, string labelValue, double value) => Sample(name, [(label, labelValue)], value);

    /// <summary>A sample of the current family: <paramref name="name"/> is the family's (or, in a histogram, its _bucket, _sum or _count).</summary>
    public void Sample(string name, ReadOnlySpan<(string Name, string Value)> labels, double value)
    {
        RequireInFamily(name);
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{');
            for (int i = 0; i < labels.Length; i++)
            {
                RequireLabelName(labels[i].Name);
                if (i > 0)
                {
                    text.Append(',');
                }

                text.Append(labels[i].Name).Append("=\"");
                AppendEscaped(labels[i].Value, escapeQuotes: true);
                text.Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(FormatValue(value)).Append('\n');
    }

    /// <summary>A counter family with one unlabelled sample.</summary>
    public void Counter(string name, string help, long value)
    {
        Family(name, MetricType.Counter, help);
        Sample(name, value);
    }

    /// <summary>A gauge family with one unlabelled sample.</summary>
    public void Gauge(string name, string help, double value)
    {
        Family(name, MetricType.Gauge, help);
        Sample(name, value);
    }

    /// <summary>A histogram family: its cumulative buckets, the +Inf bucket, its sum and its count.</summary>
    public void Histogram(string name, string help, HistogramSnapshot histogram)
    {
        if (histogram.CumulativeCounts.Count != histogram.UpperBounds.Count + 1)
        {
            throw new ArgumentException($"histogram {name}: {histogram.UpperBounds.Count} bounds need {histogram.UpperBounds.Count + 1} counts, not {histogram.CumulativeCounts.Count}");
        }

        Family(name, MetricType.Histogram, help);
        string bucket = name + "_bucket";
        for (int i = 0; i < histogram.UpperBounds.Count; i++)
        {
            Sample(bucket, "le", FormatValue(histogram.UpperBounds[i]), histogram.CumulativeCounts[i]);
        }

        Sample(bucket, "le", "+Inf", histogram.Count);
        Sample(name + "_sum", histogram.Sum);
        Sample(name + "_count", histogram.Count);
    }

    /// <summary>The exposition so far.</summary>
    public override string ToString() => text.ToString();

    /// <summary>
    /// As Prometheus's Go client writes floats: +Inf, -Inf, NaN, whole numbers without a point,
    /// others in their shortest round-trip form with a lower-case exponent (so a bucket reads
    /// <c>le="2.5e-05"</c> here as it does in any other exporter's output).
    /// </summary>
    public static string FormatValue(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }

        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (value == Math.Floor(value) && Math.Abs(value) < 1e15)
        {
            return ((long)value).ToString(CultureInfo.InvariantCulture); // counters: 12, not 1.2e+01
        }

        return value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
    }

    private void RequireInFamily(string name)
    {
        bool belongs = family is not null && (name == family || (familyType == MetricType.Histogram
            && name.Length > family.Length && name.StartsWith(family, StringComparison.Ordinal) && name.AsSpan(family.Length) is "_bucket" or "_sum" or "_count"));
        if (!belongs)
        {
            throw new InvalidOperationException($"sample {name} is outside the current family ({family ?? "none started"})");
        }
    }

    private void AppendEscaped(string value, bool escapeQuotes)
    {
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\':
                    text.Append(@"\\");
                    break;
                case '\n':
                    text.Append(@"\n");
                    break;
                case '"' when escapeQuotes:
                    text.Append("\\\"");
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }
    }

    private static string TypeName(MetricType type) => type switch
    {
        MetricType.Counter => "counter",
        MetricType.Gauge => "gauge",
        MetricType.Histogram => "histogram",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>[a-zA-Z_:][a-zA-Z0-9_:]*, the format's metric names.</summary>
    private static void RequireMetricName(string name)
    {
        if (!IsName(name, allowColon: true))
        {
            throw new ArgumentException($"'{name}' is not a Prometheus metric name", nameof(name));
        }
    }

    /// <summary>[a-zA-Z_][a-zA-Z0-9_]*, not starting with the reserved __.</summary>
    private static void RequireLabelName(string name)
    {
        if (!IsName(name, allowColon: false) || name.StartsWith("__", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not a Prometheus label name", nameof(name));
        }
    }

    private static bool IsName(string name, bool allowColon)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':')))
            {
                return false;
            }
        }

        return true;
    }
}
