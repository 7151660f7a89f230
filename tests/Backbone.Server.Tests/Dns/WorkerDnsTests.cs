using System.Text.Json;
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
        await cluster.WaitForLeaderAsync(Patience);
        string workerToken = await BackboneCli.JoinTokenAsync(output, cluster[0].ClientEndpoint, "worker");
        ClusterMember worker = await cluster.JoinWorkerAsync(workerToken);
        string dns = worker.DnsEndpoint ?? throw new InvalidOperationException("the worker printed no DNS listener:\n" + worker.Output);

        Assert.Equal(0, (await Backbone(cluster[0], "network", "create", "--subnet", "10.233.10.0/24", "wdnsnet")).ExitCode);
        Assert.Equal(0, (await Backbone(cluster[0], "service", "create", "--name", "api", "--replicas", "0", "--network", "wdnsnet", "--", "/bin/true")).ExitCode);
        string vip = JsonDocument.Parse((await Backbone(cluster[0], "service", "inspect", "api")).Stdout).RootElement[0].GetProperty("Networks")[0].GetProperty("Vip").GetString()!;
        await Poll.UntilAsync(async () => (await DigAsync(dns, "api.wdnsnet", "+short")).Stdout.Trim() == vip, Patience, () => "the worker never answered api.wdnsnet");

        Assert.Equal(0, (await Backbone(cluster[0], "service", "rm", "api")).ExitCode);
        await Poll.UntilAsync(async () => (await DigAsync(dns, "api.wdnsnet", "+short")).Stdout.Trim() != vip, Patience, () => "the worker still answers a removed service");
        Assert.DoesNotContain("dns: names:", worker.Output, StringComparison.Ordinal);
    }

    private static Task<Tool.Result> Backbone(ClusterMember node, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", node.ClientEndpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    private static Task<Tool.Result> DigAsync(string server, params string[] args)
    {
        string[] hostPort = server.Split(':');
        return Tool.RunAsync(Tool.Require("dig", "dnsutils"), ["@" + hostPort[0], "-p", hostPort[1], "+time=5", "+tries=1", .. args]);
    }
}
