using Backbone.Core.Metrics;
using Backbone.Server.Cluster;

namespace Backbone.Server.Metrics;

/// <summary>How this member reached the leader for its linearizable reads: messages on the peer stream, or unary calls to an older leader.</summary>
public sealed class PeerLinkMetrics(GrpcPeerLink link) : IMetricsSource
{
    private const string ReadIndexes = "backbone_peer_read_indexes_total";

    public void WriteTo(PrometheusWriter writer)
    {
        writer.Family(ReadIndexes, MetricType.Counter, "Read indexes this member got from the leader for its linearizable reads, by transport.");
        writer.Sample(ReadIndexes, "transport", "stream", link.StreamedReadIndexes);
        writer.Sample(ReadIndexes, "transport", "call", link.CalledReadIndexes);
    }
}
