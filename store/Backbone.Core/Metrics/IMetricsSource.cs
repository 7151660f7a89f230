namespace Backbone.Core.Metrics;

/// <summary>
/// Something that reports metrics when scraped: the DNS server, the store. <see cref="WriteTo"/>
/// runs on the scraping request's thread while the source keeps working on its own threads, so it
/// only reads (atomic counters, volatile fields) and never blocks the source's hot path.
/// </summary>
public interface IMetricsSource
{
    /// <summary>Writes every family of this source, each whole (see <see cref="PrometheusWriter"/>).</summary>
    void WriteTo(PrometheusWriter writer);
}
