using Backbone.Core.Metrics;

namespace Backbone.Server.Metrics;

/// <summary>
/// The sources one node start reports: the store once it is open, the DNS server once it runs.
/// Sources are added while the node starts and scraped from request threads at any time after,
/// so the list is swapped whole (a scrape reads one array, never a list being changed).
/// </summary>
public sealed class MetricsRegistry
{
    private readonly Lock adding = new();
    private volatile IMetricsSource[] sources = [];

    public void Add(IMetricsSource source)
    {
        lock (adding)
        {
            sources = [.. sources, source];
        }
    }

    /// <summary>One scrape: every source's families, in the order they were added.</summary>
    public string Render()
    {
        var writer = new PrometheusWriter();
        foreach (IMetricsSource source in sources)
        {
            source.WriteTo(writer);
        }

        return writer.ToString();
    }
}
