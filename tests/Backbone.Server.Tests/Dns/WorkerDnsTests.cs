using System.Text.Json;
using System.Text.RegularExpressions;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Dns;

/// <summary>
/// A worker holds no store: its DNS server reads through a manager once and then follows that
/// manager's watch. A service created and then removed after the worker joined shows in the
/// worker's answers, and the feed never failed on the way (it would note it, then read again).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkerDnsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AWorkersNamesFollowTheManagersWatch()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1, "bbwdns");
        (ClusterMember worker, string dns) = await JoinWorkerAsync(cluster, "10.233.10.0/24", "wdnsnet");
        string vip = await CreateServiceAsync(cluster[0], "api", "wdnsnet");
        await Poll.UntilAsync(async () => (await DigAsync(dns, "api.wdnsnet", "+short")).Stdout.Trim() == vip, Patience, () => "the worker never answered api.wdnsnet");

        Assert.Equal(0, (await Backbone(cluster[0], "service", "rm", "api")).ExitCode);
        await Poll.UntilAsync(async () => (await DigAsync(dns, "api.wdnsnet", "+short")).Stdout.Trim() != vip, Patience, () => "the worker still answers a removed service");
        Assert.DoesNotContain("dns: names:", worker.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The manager a worker reads and watches freezes with its sockets open (SIGSTOP): its
    /// connections never close, so only the channel's keep-alive pings end the worker's watch. The
    /// worker then reads through another manager and follows its watch: a service created after
    /// the freeze shows in the worker's answers.
    /// </summary>
    [Fact]
    public async Task AWorkerWhoseManagerFreezesFollowsAnother()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbwfrz");
        (ClusterMember worker, string dns) = await JoinWorkerAsync(cluster, "10.233.11.0/24", "frznet");
        string before = await CreateServiceAsync(cluster[0], "before", "frznet");
        await Poll.UntilAsync(async () => (await DigAsync(dns, "before.frznet", "+short")).Stdout.Trim() == before, Patience, () => "the worker never answered before.frznet");

        // The worker starts with the first manager it was given, and stays with it while it answers.
        Match given = Regex.Match(worker.Output, @"passes every call to the managers \(([^,)]+)");
        Assert.True(given.Success, "the worker did not say which managers it uses:\n" + worker.Output);
        ClusterMember watched = Enumerable.Range(0, 3).Select(i => cluster[i]).Single(m => m.ClientUrl == given.Groups[1].Value);
        ClusterMember other = Enumerable.Range(0, 3).Select(i => cluster[i]).First(m => m != watched);
        watched.Pause();
        try
        {
            string after = await CreateServiceAsync(other, "after", "frznet");
            await Poll.UntilAsync(async () => (await DigAsync(dns, "after.frznet", "+short")).Stdout.Trim() == after, Patience,
                () => $"the worker never answered a service created while {watched.Name} was frozen:\n{worker.Output}");
        }
        finally
        {
            watched.Resume();
        }
    }

    /// <summary>A worker joined to <paramref name="cluster"/> once it has a leader, and a network made for the test; the worker's DNS listener.</summary>
    private async Task<(ClusterMember Worker, string Dns)> JoinWorkerAsync(TestCluster cluster, string subnet, string network)
    {
        await cluster.WaitForLeaderAsync(Patience);
        string workerToken = await BackboneCli.JoinTokenAsync(output, cluster[0].ClientEndpoint, "worker");
        ClusterMember worker = await cluster.JoinWorkerAsync(workerToken);
        string dns = await worker.DnsEndpointAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, (await Backbone(cluster[0], "network", "create", "--subnet", subnet, network)).ExitCode);
        return (worker, dns);
    }

    /// <summary>A service (no replicas) on <paramref name="network"/>, created through <paramref name="node"/> however long an election takes; its VIP.</summary>
    private static async Task<string> CreateServiceAsync(ClusterMember node, string name, string network)
    {
        await Poll.UntilAsync(async () =>
        {
            Tool.Result created = await Backbone(node, "service", "create", "--name", name, "--replicas", "0", "--network", network, "--", "/bin/true");
            return created.ExitCode == 0 || created.Stderr.Contains("already exists", StringComparison.Ordinal); // an earlier try that got no answer
        }, Patience, () => $"service {name} was never created");
        Tool.Result inspected = await Backbone(node, "service", "inspect", name);
        return JsonDocument.Parse(inspected.Stdout).RootElement[0].GetProperty("Networks")[0].GetProperty("Vip").GetString()!;
    }

    private static Task<Tool.Result> Backbone(ClusterMember node, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", node.ClientEndpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    private static Task<Tool.Result> DigAsync(string server, params string[] args)
    {
        string[] hostPort = server.Split(':');
        return Tool.RunAsync(Tool.Require("dig", "dnsutils"), ["@" + hostPort[0], "-p", hostPort[1], "+time=5", "+tries=1", .. args]);
    }
}
