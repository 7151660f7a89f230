namespace Backbone.Server.Tests.Cluster;

/// <summary>A member's <c>backbone_peer_read_indexes_total</c>: read indexes it got from the leader on the peer stream, and by unary calls.</summary>
internal static class PeerLinkCounters
{
    public static async Task<(double Streamed, double Called)> ReadIndexesAsync(HttpClient http, ClusterMember member)
    {
        string url = await member.MetricsUrlAsync(TimeSpan.FromSeconds(10));
        Backbone.Dns.Tests.Metrics.Exposition samples = Backbone.Dns.Tests.Metrics.Exposition.Parse(await http.GetStringAsync(url));
        return (samples["backbone_peer_read_indexes_total{transport=\"stream\"}"], samples["backbone_peer_read_indexes_total{transport=\"call\"}"]);
    }
}
