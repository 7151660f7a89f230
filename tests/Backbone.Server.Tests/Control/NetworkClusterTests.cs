using System.Text.Json;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Control;

/// <summary>Networks in a cluster: created through any member (a follower's and a worker's calls reach the leader), seen by every member.</summary>
[Collection(ClusterCollection.Name)]
public sealed class NetworkClusterTests(ITestOutputHelper output)
{
    private static Task<Tool.Result> Backbone(string endpoint, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", endpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    [Fact]
    public async Task NetworksCreatedAnywhereAreSeenEverywhere()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbnet");
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        int follower = (leader + 1) % 3;
        string workerToken = await BackboneCli.JoinTokenAsync(output, cluster[0].ClientEndpoint, "worker");
        ClusterMember worker = await cluster.JoinWorkerAsync(workerToken);

        Tool.Result viaFollower = await Backbone(cluster[follower].ClientEndpoint, "network", "create", "frontend");
        Assert.True(viaFollower.ExitCode == 0, viaFollower.All);
        Tool.Result viaWorker = await Backbone(worker.ClientEndpoint, "network", "create", "--opt", "encrypted", "backend");
        Assert.True(viaWorker.ExitCode == 0, viaWorker.All);

        for (int i = 0; i < 3; i++)
        {
            Tool.Result ls = await Backbone(cluster[i].ClientEndpoint, "network", "ls", "--format", "json");
            JsonElement[] networks = [.. JsonDocument.Parse(ls.Stdout).RootElement.EnumerateArray()];
            Assert.Equal(["backend", "frontend"], networks.Select(n => n.GetProperty("Name").GetString()));
            Assert.Equal(2, networks.Select(n => n.GetProperty("Vni").GetInt32()).Distinct().Count());
        }

        Tool.Result duplicate = await Backbone(cluster[leader].ClientEndpoint, "network", "create", "frontend");
        Assert.Contains("a network named \"frontend\" already exists", duplicate.Stderr, StringComparison.Ordinal);
        Assert.Equal("frontend\n", (await Backbone(worker.ClientEndpoint, "network", "rm", "frontend")).Stdout);
        JsonElement left = Assert.Single(JsonDocument.Parse((await Backbone(cluster[follower].ClientEndpoint, "network", "ls", "--format", "json")).Stdout).RootElement.EnumerateArray());
        Assert.Equal("backend", left.GetProperty("Name").GetString());
    }
}
