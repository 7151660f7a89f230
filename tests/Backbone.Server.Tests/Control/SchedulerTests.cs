using System.Text.Json;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Control;

/// <summary>The scheduler on real nodes: tasks per slot, spread over live nodes, moved off a node that dies.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SchedulerTests(ITestOutputHelper output)
{
    private static Task<Tool.Result> Backbone(string endpoint, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", endpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    [Fact]
    public async Task TasksFollowTheReplicaCount()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1, "bbsched1");
        string endpoint = cluster[0].ClientEndpoint;
        Assert.Equal(0, (await Backbone(endpoint, "service", "create", "--name", "web", "--replicas", "3", "--", "sleep", "infinity")).ExitCode);
        JsonElement[] tasks = await WaitForTasksAsync(endpoint, "web", t => t.Length == 3 && t.All(x => x.GetProperty("State").GetString() == "assigned"));
        Assert.Equal([1, 2, 3], tasks.Select(t => t.GetProperty("Slot").GetInt32()));
        Assert.All(tasks, t => Assert.Equal(cluster[0].Name, t.GetProperty("NodeName").GetString()));
        Assert.All(tasks, t => Assert.Matches($"^web\\.{t.GetProperty("Slot").GetInt32()}\\.[a-z0-9]{{25}}$", t.GetProperty("Name").GetString()!));
        Assert.Contains("/bb/nodes/", (await Backbone(endpoint, "kv", "get", "/bb/nodes/", "--prefix", "--keys-only")).Stdout, StringComparison.Ordinal);

        await Backbone(endpoint, "service", "scale", "web=1");
        JsonElement kept = Assert.Single(await WaitForTasksAsync(endpoint, "web", t => t.Length == 1));
        Assert.Equal(tasks[0].GetProperty("Id").GetString(), kept.GetProperty("Id").GetString()); // slot 1 kept its task
    }

    [Fact]
    public async Task TasksSpreadOverManagersAndLeaveADeadOne()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbsched");
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        string endpoint = cluster[leader].ClientEndpoint;
        await Poll.UntilAsync(async () => (await Backbone(endpoint, "kv", "get", "/bb/nodes/", "--prefix", "--count-only")).Stdout.Trim() == "3",
            TimeSpan.FromSeconds(20), () => "not every manager registered its node"); // tasks placed earlier stay where they are (no rebalancing)
        Assert.Equal(0, (await Backbone(endpoint, "service", "create", "--name", "web", "--replicas", "3", "--", "sleep", "infinity")).ExitCode);
        Assert.Equal(0, (await Backbone(endpoint, "service", "create", "--name", "pinned", "--replicas", "2", "--constraint", $"node.name=={cluster[leader].Name}", "--", "sleep", "infinity")).ExitCode);

        JsonElement[] spread = await WaitForTasksAsync(endpoint, "web", t => t.Length == 3 && t.All(x => x.GetProperty("State").GetString() == "assigned"));
        Assert.Equal(3, spread.Select(t => t.GetProperty("NodeName").GetString()).Distinct().Count());
        JsonElement[] pinned = await WaitForTasksAsync(endpoint, "pinned", t => t.Length == 2 && t.All(x => x.GetProperty("State").GetString() == "assigned"));
        Assert.All(pinned, t => Assert.Equal(cluster[leader].Name, t.GetProperty("NodeName").GetString()));

        // A follower dies: once its node lease runs out, its task moves to a live manager.
        int victim = (leader + 1) % 3;
        string victimName = cluster[victim].Name;
        cluster[victim].Kill();
        JsonElement[] moved = await WaitForTasksAsync(endpoint, "web", t => t.Length == 3 && t.All(x => x.GetProperty("NodeName").GetString() != victimName), seconds: 40);
        Assert.All(moved, t => Assert.Equal("assigned", t.GetProperty("State").GetString()));
    }

    [Fact]
    public async Task WorkersRegisterAndRunTasks()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1, "bbschedw");
        string endpoint = cluster[0].ClientEndpoint;
        string token = await BackboneCli.JoinTokenAsync(output, endpoint, "worker");
        ClusterMember worker = await cluster.JoinWorkerAsync(token);

        // The worker keeps its node record alive through the manager, with its role.
        await Poll.UntilAsync(async () => (await Backbone(endpoint, "kv", "get", "/bb/nodes/", "--prefix", "--count-only")).Stdout.Trim() == "2",
            TimeSpan.FromSeconds(20), () => "the worker's node record did not appear");
        Assert.Equal(0, (await Backbone(worker.ClientEndpoint, "service", "create", "--name", "edge", "--replicas", "2", "--constraint", $"node.name=={worker.Name}", "--", "sleep", "infinity")).ExitCode);
        JsonElement[] tasks = await WaitForTasksAsync(endpoint, "edge", t => t.Length == 2 && t.All(x => x.GetProperty("State").GetString() == "assigned"));
        Assert.All(tasks, t => Assert.Equal(worker.Name, t.GetProperty("NodeName").GetString()));
    }

    private static async Task<JsonElement[]> WaitForTasksAsync(string endpoint, string service, Func<JsonElement[], bool> done, int seconds = 20)
    {
        JsonElement[] tasks = [];
        await Poll.UntilAsync(async () =>
        {
            Tool.Result ps = await Backbone(endpoint, "service", "ps", service, "--format", "json");
            tasks = ps.ExitCode == 0 ? [.. JsonDocument.Parse(ps.Stdout).RootElement.EnumerateArray()] : [];
            return done(tasks);
        }, TimeSpan.FromSeconds(seconds), () => $"tasks of {service}: {string.Join("; ", tasks.Select(t => t.ToString()))}");
        return tasks;
    }
}
