namespace Backbone.Server.Tests.Cluster;

/// <summary>Counters read from a member's metrics endpoint.</summary>
internal static class MemberCounters
{
    /// <summary>One series, exactly as exposed (labels included), from the metrics at <paramref name="url"/>.</summary>
    public static async Task<double> ReadAsync(HttpClient http, string url, string series) =>
        Backbone.Dns.Tests.Metrics.Exposition.Parse(await http.GetStringAsync(url))[series];

    public static async Task<double> ReadAsync(HttpClient http, ClusterMember member, string series) =>
        await ReadAsync(http, await member.MetricsUrlAsync(TimeSpan.FromSeconds(10)), series);

    /// <summary><c>backbone_peer_read_indexes_total</c>: read indexes it got from the leader on the peer stream, and by unary calls.</summary>
    public static async Task<(double Streamed, double Called)> PeerReadIndexesAsync(HttpClient http, ClusterMember member)
    {
        string url = await member.MetricsUrlAsync(TimeSpan.FromSeconds(10));
        return (await ReadAsync(http, url, "backbone_peer_read_indexes_total{transport=\"stream\"}"),
            await ReadAsync(http, url, "backbone_peer_read_indexes_total{transport=\"call\"}"));
    }
}
