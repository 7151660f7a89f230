using System.Text.Json;
using Backbone.Server.Tests.Support;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// etcdctl's <c>--cluster</c> commands against a real three-manager cluster. With --cluster,
/// etcdctl 3.4 reads the members' client URLs (<c>http://127.0.0.1:PORT</c>, the form etcd itself
/// advertises) and dials each with <c>passthrough:///http://127.0.0.1:PORT</c>, so every request
/// carries <c>:authority: http://127.0.0.1:PORT</c>. Kestrel used to reset those streams
/// (PROTOCOL_ERROR, "Invalid Host header"); the node now repairs that :authority
/// (Backbone.Server.Http2.AuthorityRepair).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class EtcdctlClusterStatusTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EndpointStatusAndHealthWithClusterReachEveryMemberAndShowOneLeader()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbstatus");
        int leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"leader {cluster[leader].Name} ({cluster[leader].MemberId:x})");

        // Through a follower: it has to list the members, then dial each by its client URL.
        int follower = (leader + 1) % cluster.Members.Count;
        Tool.Result status = await Tool.EtcdctlAsync(cluster[follower].ClientEndpoint, null, "endpoint", "status", "--cluster", "-w", "json");
        output.WriteLine(status.All);
        Assert.True(status.ExitCode == 0, $"etcdctl endpoint status --cluster failed:\n{status.All}\n{cluster.Logs()}");
        Assert.DoesNotContain("PROTOCOL_ERROR", status.All, StringComparison.Ordinal);

        using JsonDocument json = JsonDocument.Parse(status.Stdout);
        var entries = json.RootElement.EnumerateArray().Select(e => (
            Endpoint: e.GetProperty("Endpoint").GetString()!,
            MemberId: e.GetProperty("Status").GetProperty("header").GetProperty("member_id").GetUInt64(),
            ClusterId: e.GetProperty("Status").GetProperty("header").GetProperty("cluster_id").GetUInt64(),
            Leader: e.GetProperty("Status").GetProperty("leader").GetUInt64())).ToList();

        Assert.Equal(cluster.Members.Count, entries.Count);
        Assert.Equal(
            cluster.Members.Select(m => m.ClientUrl).Order(StringComparer.Ordinal),
            entries.Select(e => e.Endpoint).Order(StringComparer.Ordinal));
        Assert.Equal(entries.Count, entries.Select(e => e.MemberId).Distinct().Count());
        Assert.Equal(
            cluster.Members.Select(m => m.MemberId).Order(),
            entries.Select(e => e.MemberId).Order());
        Assert.Single(entries.Select(e => e.ClusterId).Distinct());
        Assert.Single(entries, e => e.MemberId == e.Leader);
        Assert.Single(entries.Select(e => e.Leader).Distinct());

        Tool.Result health = await Tool.EtcdctlAsync(cluster[follower].ClientEndpoint, null, "endpoint", "health", "--cluster");
        output.WriteLine(health.All);
        Assert.True(health.ExitCode == 0, $"etcdctl endpoint health --cluster failed:\n{health.All}");
        foreach (ClusterMember member in cluster.Members)
        {
            Assert.Contains($"{member.ClientUrl} is healthy", health.All, StringComparison.Ordinal);
        }
    }
}
