using Backbone.Core.Metrics;

namespace Backbone.Dns.Tests.Metrics;

/// <summary>The text exposition format 0.0.4, byte for byte: families, labels and their escaping, histograms, numbers.</summary>
public sealed class PrometheusWriterTests
{
    [Fact]
    public void ACounterIsHelpTypeAndOneSample()
    {
        var writer = new PrometheusWriter();

        writer.Counter("backbone_dns_queries_total", "DNS packets read.", 42);

        Assert.Equal("# HELP backbone_dns_queries_total DNS packets read.\n# TYPE backbone_dns_queries_total counter\nbackbone_dns_queries_total 42\n", writer.ToString());
    }

    [Fact]
    public void AFamilyWithLabelsKeepsItsSamplesTogether()
    {
        var writer = new PrometheusWriter();

        writer.Family("backbone_dns_responses_total", MetricType.Counter, "By rcode.");
        writer.Sample("backbone_dns_responses_total", "rcode", "NOERROR", 3);
        writer.Sample("backbone_dns_responses_total", [("rcode", "NXDOMAIN"), ("transport", "udp")], 1);
        writer.Gauge("backbone_dns_names", "Names.", 19);

        Assert.Equal(
            "# HELP backbone_dns_responses_total By rcode.\n# TYPE backbone_dns_responses_total counter\n"
            + "backbone_dns_responses_total{rcode=\"NOERROR\"} 3\n"
            + "backbone_dns_responses_total{rcode=\"NXDOMAIN\",transport=\"udp\"} 1\n"
            + "# HELP backbone_dns_names Names.\n# TYPE backbone_dns_names gauge\nbackbone_dns_names 19\n",
            writer.ToString());
    }

    [Fact]
    public void LabelValuesEscapeBackslashQuoteAndNewline()
    {
        var writer = new PrometheusWriter();

        writer.Family("x", MetricType.Gauge, "h");
        writer.Sample("x", "path", "C:\\dir \"quoted\"\nnext", 1);

        Assert.EndsWith("x{path=\"C:\\\\dir \\\"quoted\\\"\\nnext\"} 1\n", writer.ToString());
    }

    [Fact]
    public void HelpEscapesBackslashAndNewlineButNotQuotes()
    {
        var writer = new PrometheusWriter();

        writer.Gauge("x", "a \"b\" \\ c\nd", 0);

        Assert.StartsWith("# HELP x a \"b\" \\\\ c\\nd\n", writer.ToString());
    }

    [Fact]
    public void AHistogramIsCumulativeBucketsThenInfSumAndCount()
    {
        var writer = new PrometheusWriter();

        writer.Histogram("rt_seconds", "Latency.", new HistogramSnapshot([0.000025, 0.5, 1], [1, 3, 3, 4], 2.75));

        Assert.Equal(
            "# HELP rt_seconds Latency.\n# TYPE rt_seconds histogram\n"
            + "rt_seconds_bucket{le=\"2.5e-05\"} 1\n"
            + "rt_seconds_bucket{le=\"0.5\"} 3\n"
            + "rt_seconds_bucket{le=\"1\"} 3\n"
            + "rt_seconds_bucket{le=\"+Inf\"} 4\n"
            + "rt_seconds_sum 2.75\n"
            + "rt_seconds_count 4\n",
            writer.ToString());
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(12.0, "12")]
    [InlineData(-3.0, "-3")]
    [InlineData(0.5, "0.5")]
    [InlineData(0.000025, "2.5e-05")]
    [InlineData(1e20, "1e+20")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    public void NumbersAreWrittenAsPrometheusReadsThem(double value, string text) => Assert.Equal(text, PrometheusWriter.FormatValue(value));

    [Theory]
    [InlineData("9lives")]
    [InlineData("has-dash")]
    [InlineData("has space")]
    [InlineData("")]
    public void ANameTheFormatCannotCarryIsABug(string name) =>
        Assert.Throws<ArgumentException>(() => new PrometheusWriter().Family(name, MetricType.Gauge, "h"));

    [Theory]
    [InlineData("__reserved")]
    [InlineData("a:b")]
    [InlineData("0x")]
    public void ALabelNameTheFormatCannotCarryIsABug(string label)
    {
        var writer = new PrometheusWriter();
        writer.Family("x", MetricType.Gauge, "h");

        Assert.Throws<ArgumentException>(() => writer.Sample("x", label, "v", 1));
    }

    [Fact]
    public void ACounterNotEndingInTotalIsABug() =>
        Assert.Throws<ArgumentException>(() => new PrometheusWriter().Family("backbone_dns_queries", MetricType.Counter, "h"));

    [Fact]
    public void AFamilyWrittenTwiceIsABug()
    {
        var writer = new PrometheusWriter();
        writer.Gauge("x", "h", 1);

        Assert.Throws<InvalidOperationException>(() => writer.Gauge("x", "h", 2));
    }

    [Fact]
    public void ASampleOutsideItsFamilyIsABug()
    {
        var writer = new PrometheusWriter();
        Assert.Throws<InvalidOperationException>(() => writer.Sample("x", 1)); // no family yet

        writer.Family("x", MetricType.Gauge, "h");
        Assert.Throws<InvalidOperationException>(() => writer.Sample("y", 1));
        Assert.Throws<InvalidOperationException>(() => writer.Sample("x_bucket", 1)); // only a histogram has buckets

        writer.Family("h_seconds", MetricType.Histogram, "h");
        writer.Sample("h_seconds_sum", 1);
        Assert.Throws<InvalidOperationException>(() => writer.Sample("h_seconds_total", 1));
    }
}
