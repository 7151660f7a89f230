using Backbone.Core.Metrics;
using Backbone.Dns.Forwarding;

namespace Backbone.Dns.Server;

/// <summary>
/// The DNS server's metrics for a Prometheus scrape (every name is listed in docs/dns.md,
/// "Metrics"). Reads the server's counters as they are, from the scraping thread: no lock is
/// taken that a query could wait on.
/// </summary>
public sealed class DnsMetrics(DnsServer server) : IMetricsSource
{
    /// <summary>RFC 1035 and 2136's names for the header's rcodes; the first six are always written, others once seen.</summary>
    private static readonly string[] RcodeNames =
        ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"];

    private const int AlwaysWrittenRcodes = 6;

    public void WriteTo(PrometheusWriter writer)
    {
        DnsCounters counters = server.Counters;
        writer.Counter("backbone_dns_queries_total", "DNS packets read by every listener (host and containers, UDP and TCP), malformed ones included.", counters.Queries);
        writer.Counter("backbone_dns_queries_dropped_total", "DNS packets that got no response (too short to answer).", counters.Dropped);

        writer.Family("backbone_dns_responses_total", MetricType.Counter, "DNS responses sent, by rcode.");
        for (int rcode = 0; rcode < 16; rcode++)
        {
            long sent = counters.Answered(rcode);
            if (rcode < AlwaysWrittenRcodes || sent > 0)
            {
                writer.Sample("backbone_dns_responses_total", "rcode", rcode < RcodeNames.Length ? RcodeNames[rcode] : $"RCODE{rcode}", sent);
            }
        }

        writer.Histogram("backbone_dns_response_seconds",
            "From a query's arrival to its response being sent, for responses whose listener timed them.", counters.ResponseTime.Snapshot());

        WriteForwarding(writer, server.Forwarder);

        writer.Gauge("backbone_dns_names", "Names in the current name table (every form on every network).", server.Names.Current.NameCount);
        writer.Gauge("backbone_dns_table_revision", "The store revision the current name table reflects (its read, or the last watch event applied).", server.Names.Revision);
        writer.Counter("backbone_dns_table_builds_total", "Name tables published: whole builds from a read of the store and incremental updates from its watch.", server.Names.Builds);
        writer.Gauge("backbone_dns_container_listeners", "Container namespaces served at 127.0.0.11:53.", server.ContainerListeners);
    }

    private static void WriteForwarding(PrometheusWriter writer, UpstreamForwarder forwarder)
    {
        ForwarderCounters counters = forwarder.Counters;
        writer.Counter("backbone_dns_forwards_started_total", "Forwards that got a slot and asked the upstreams.", counters.Started);

        writer.Family("backbone_dns_forwards_total", MetricType.Counter,
            "Forwards by how they ended: answered, failed (no usable answer within every try: SERVFAIL), overloaded (no slot: SERVFAIL at once), no_upstream (SERVFAIL).");
        writer.Sample("backbone_dns_forwards_total", "result", "answered", counters.Answered);
        writer.Sample("backbone_dns_forwards_total", "result", "failed", counters.Failed);
        writer.Sample("backbone_dns_forwards_total", "result", "overloaded", counters.Overloaded);
        writer.Sample("backbone_dns_forwards_total", "result", "no_upstream", counters.NoUpstream);

        writer.Histogram("backbone_dns_forward_seconds", "From a started forward's first ask upstream to its answer, or to its failure.", counters.UpstreamTime.Snapshot());
        writer.Gauge("backbone_dns_forwards_running", "Forwards asking the upstreams now.", forwarder.Running);
        writer.Gauge("backbone_dns_forwards_waiting", "Forwards waiting for a slot now.", forwarder.Waiting);

        writer.Counter("backbone_dns_cache_hits_total", "Forwarded names answered from the cache.", counters.CacheHits);
        writer.Counter("backbone_dns_cache_misses_total", "Forwarded names not in the cache, or expired there.", counters.CacheMisses);
        writer.Counter("backbone_dns_cache_evictions_total", "Cache entries dropped to make room.", counters.CacheEvictions);
        writer.Gauge("backbone_dns_cache_entries", "Answers in the cache now.", forwarder.Cache.Count);
    }
}
