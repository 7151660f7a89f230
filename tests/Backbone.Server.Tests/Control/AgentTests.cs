using System.Text.Json;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Control;

/// <summary>
/// The host agent on a real node, as root: real namespaces, bridges and veths, the built-in echo
/// server as the tasks' process, checked with `ip`, `ping` and `backbone exec`. Every namespace
/// carries a per-run prefix and is removed at the end whatever happened.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AgentTests(ITestOutputHelper output)
{
    private const string NeedsRoot = "needs root: the agent creates network namespaces and links";

    private static Task<Tool.Result> Backbone(string endpoint, params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), ["--endpoints", endpoint, .. args], timeout: TimeSpan.FromSeconds(120));

    private static string[] EchoServer => [NodeProcess.Script(), "echo-server", "--port", "8080"];

    [SkippableFact]
    public async Task AServiceRunsInContainersThatReachEachOther()
    {
        Skip.IfNot(HostNamespaces.IsRoot, NeedsRoot);
        string prefix = $"bbt{Guid.NewGuid().ToString("N")[..4]}-";
        try
        {
            await using TestCluster cluster = await TestCluster.StartAsync(1, "bbagent", agentPrefix: prefix);
            string endpoint = cluster[0].ClientEndpoint;
            string mine = cluster.AgentPrefixOf(cluster[0])!;
            Assert.Equal(0, (await Backbone(endpoint, "network", "create", "--driver", "overlay", "--subnet", "10.231.7.0/24", "appnet")).ExitCode);
            Tool.Result created = await Backbone(endpoint, ["service", "create", "--name", "web", "--replicas", "3", "--network", "appnet", "--", .. EchoServer]);
            Assert.True(created.ExitCode == 0, created.All);

            JsonElement[] tasks = await WaitForRunningAsync(endpoint, "web", 3);
            string[] ips = [.. tasks.Select(t => t.GetProperty("Addresses")[0].GetString()!.Split('=')[1])];
            Assert.All(ips, ip => Assert.StartsWith("10.231.7.", ip, StringComparison.Ordinal));
            Assert.Equal(3, ips.Distinct().Count());
            Assert.DoesNotContain("10.231.7.1", ips); // the gateway's

            // The kernel has what the agent says: one sandbox with the bridge, three containers.
            IReadOnlyList<string> namespaces = await HostNamespaces.ListAsync(mine);
            string sandbox = Assert.Single(namespaces, n => n.Contains("-sb-", StringComparison.Ordinal));
            Assert.Equal(3, namespaces.Count(n => n.Contains("-c-", StringComparison.Ordinal)));
            string bridge = await HostNamespaces.LinksAsync(sandbox);
            Assert.Contains("br0", bridge, StringComparison.Ordinal);
            Assert.Equal(3, bridge.Split('\n').Count(l => l.Contains("master br0", StringComparison.Ordinal)));
            Assert.Contains("inet 10.231.7.1/24", (await Tool.RunAsync("ip", ["-n", sandbox, "addr"])).Stdout, StringComparison.Ordinal);

            // From inside web.1: ping and talk to the others, and see the container's resolv.conf.
            foreach (int other in new[] { 1, 2 })
            {
                Tool.Result ping = await Backbone(endpoint, "exec", "web.1", "--", "ping", "-c", "1", "-W", "2", ips[other]);
                Assert.True(ping.ExitCode == 0, $"ping {ips[other]} from web.1: {ping.All}");
                Tool.Result echo = await Backbone(endpoint, "exec", "web.1", "--", NodeProcess.Script(), "echo-client", $"{ips[other]}:8080", "hi");
                Assert.True(echo.ExitCode == 0, echo.All);
                Assert.Equal($"{tasks[other].GetProperty("Name").GetString()}: hi", echo.Stdout.Trim());
            }

            Tool.Result resolv = await Backbone(endpoint, "exec", "web.2", "--", "cat", "/etc/resolv.conf");
            Assert.Contains("nameserver 127.0.0.11", resolv.Stdout, StringComparison.Ordinal);
            Tool.Result eth0 = await Backbone(endpoint, "exec", "web.2", "--", "ip", "-o", "link", "show", "eth0");
            Assert.Contains($"mtu 1450", eth0.Stdout, StringComparison.Ordinal);
            Assert.Contains("02:42:0a:e7:07:", eth0.Stdout, StringComparison.Ordinal); // the MAC follows the address
            Assert.Contains("default via 10.231.7.1", (await Backbone(endpoint, "exec", "web.2", "--", "ip", "route")).Stdout, StringComparison.Ordinal);
            Assert.Equal("3", (await Backbone(endpoint, "kv", "get", "/bb/endpoints/", "--prefix", "--count-only")).Stdout.Trim());

            // Scale out and in: the kernel follows.
            Assert.Equal(0, (await Backbone(endpoint, "service", "scale", "web=5")).ExitCode);
            JsonElement[] five = await WaitForRunningAsync(endpoint, "web", 5);
            string fifth = five.Single(t => t.GetProperty("Slot").GetInt32() == 5).GetProperty("Addresses")[0].GetString()!.Split('=')[1];
            Assert.Equal(0, (await Backbone(endpoint, "exec", "web.5", "--", "ping", "-c", "1", "-W", "2", ips[0])).ExitCode);
            Assert.Equal(0, (await Backbone(endpoint, "exec", "web.1", "--", "ping", "-c", "1", "-W", "2", fifth)).ExitCode);
            Assert.Equal(0, (await Backbone(endpoint, "service", "scale", "web=1")).ExitCode);
            await WaitForRunningAsync(endpoint, "web", 1);
            await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(mine)).Count(n => n.Contains("-c-", StringComparison.Ordinal)) == 1,
                TimeSpan.FromSeconds(30), () => "the scaled-in containers are still there");

            // Removal takes the last container and the network's sandbox with it.
            Assert.Equal(0, (await Backbone(endpoint, "service", "rm", "web")).ExitCode);
            await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(mine)).Count == 0, TimeSpan.FromSeconds(30),
                () => "namespaces left after service rm");
            Assert.Equal("0", (await Backbone(endpoint, "kv", "get", "/bb/ipam/", "--prefix", "--count-only")).Stdout.Trim()); // addresses released
            Assert.Equal(0, (await Backbone(endpoint, "network", "rm", "appnet")).ExitCode);
        }
        finally
        {
            await HostNamespaces.RemoveAsync(prefix);
        }
    }

    [SkippableFact]
    public async Task AnAgentKilledMidwayConvergesWithNoLeftovers()
    {
        Skip.IfNot(HostNamespaces.IsRoot, NeedsRoot);
        string prefix = $"bbt{Guid.NewGuid().ToString("N")[..4]}-";
        try
        {
            await using TestCluster cluster = await TestCluster.StartAsync(1, "bbagentkill", agentPrefix: prefix);
            ClusterMember node = cluster[0];
            string endpoint = node.ClientEndpoint;
            string mine = cluster.AgentPrefixOf(node)!;
            Assert.Equal(0, (await Backbone(endpoint, "network", "create", "--driver", "overlay", "appnet")).ExitCode);
            Assert.Equal(0, (await Backbone(endpoint, ["service", "create", "--name", "web", "--replicas", "3", "--network", "appnet", "--", .. EchoServer])).ExitCode);
            await WaitForRunningAsync(endpoint, "web", 3);

            // The host loses everything (as a reboot would), and the agent that rebuilds it is
            // killed before its Nth kernel change: inside the sandbox's set-up, between a
            // container's veth and its address, before its route... (one sandbox and three
            // containers take 35 changes). The next agent must finish the job, leaving nothing
            // half-made or doubled.
            foreach (int step in new[] { 2, 4, 8, 12, 17, 29 })
            {
                node.Kill();
                await HostNamespaces.RemoveAsync(mine);
                node.ExtraEnvironment[KernelHostCrashVariable] = step.ToString(System.Globalization.CultureInfo.InvariantCulture);
                try
                {
                    await node.RestartAsync();
                }
                catch (InvalidOperationException e) when (e.Message.Contains("before serving", StringComparison.Ordinal))
                {
                    // it crashed before it said it served
                }

                Assert.Equal(137, node.WaitForExit(TimeSpan.FromSeconds(60))); // SIGKILL
                Assert.Contains($"crash injected before kernel change {step} ", node.Output, StringComparison.Ordinal);
                output.WriteLine($"killed before change {step} with: {string.Join(' ', await HostNamespaces.ListAsync(mine))}");

                node.ExtraEnvironment.Remove(KernelHostCrashVariable);
                await node.RestartAsync();
                await WaitForRunningAsync(endpoint, "web", 3);
                await AssertHostHoldsExactlyAsync(mine, containers: 3);
            }

            // Killed (for real) while it removes containers: the next agent finishes that too.
            Assert.Equal(0, (await Backbone(endpoint, "service", "scale", "web=1")).ExitCode);
            await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(mine)).Count(n => n.Contains("-c-", StringComparison.Ordinal)) < 3,
                TimeSpan.FromSeconds(30), () => "no container was removed");
            node.Kill();
            await node.RestartAsync();
            await WaitForRunningAsync(endpoint, "web", 1);
            await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(mine)).Count(n => n.Contains("-c-", StringComparison.Ordinal)) == 1,
                TimeSpan.FromSeconds(30), () => "scaled-in containers left");
            await AssertHostHoldsExactlyAsync(mine, containers: 1);

            // And everything goes with the service.
            Assert.Equal(0, (await Backbone(endpoint, "service", "rm", "web")).ExitCode);
            await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(mine)).Count == 0, TimeSpan.FromSeconds(30), () => "namespaces left after service rm");
        }
        finally
        {
            await HostNamespaces.RemoveAsync(prefix);
        }
    }

    private const string KernelHostCrashVariable = "BACKBONE_AGENT_CRASH_AT_STEP";

    /// <summary>One sandbox whose bridge has a port per container, each container with one eth0 and one process (the echo server).</summary>
    private static async Task AssertHostHoldsExactlyAsync(string prefix, int containers)
    {
        IReadOnlyList<string> namespaces = await HostNamespaces.ListAsync(prefix);
        string sandbox = Assert.Single(namespaces, n => n.Contains("-sb-", StringComparison.Ordinal));
        List<string> made = [.. namespaces.Where(n => n.Contains("-c-", StringComparison.Ordinal))];
        Assert.Equal(containers, made.Count);
        foreach (string container in made)
        {
            await Poll.UntilAsync(async () => (await HostNamespaces.PidsAsync(container)).Count == 1, TimeSpan.FromSeconds(10),
                () => $"{container} does not hold exactly one process"); // the killed agent's were stopped, not doubled
            string links = await HostNamespaces.LinksAsync(container);
            Assert.Single(links.Split('\n'), l => l.Contains(" eth0@", StringComparison.Ordinal));
        }

        await Poll.UntilAsync(async () => (await HostNamespaces.LinksAsync(sandbox)).Split('\n').Count(l => l.Contains("master br0", StringComparison.Ordinal)) == containers,
            TimeSpan.FromSeconds(10), () => $"{sandbox}'s bridge does not have exactly {containers} ports"); // a removed container's port goes with its namespace, shortly after
    }

    private async Task<JsonElement[]> WaitForRunningAsync(string endpoint, string service, int count)
    {
        JsonElement[] tasks = [];
        await Poll.UntilAsync(async () =>
        {
            Tool.Result ps = await Backbone(endpoint, "service", "ps", service, "--format", "json");
            tasks = ps.ExitCode == 0 ? [.. JsonDocument.Parse(ps.Stdout).RootElement.EnumerateArray()] : [];
            return tasks.Length == count && tasks.All(t => t.GetProperty("CurrentState").GetString() == "running");
        }, TimeSpan.FromSeconds(60), () => $"not {count} running tasks of {service}: {string.Join("; ", tasks.Select(t => $"{t.GetProperty("Name")} {t.GetProperty("CurrentState")} {t.GetProperty("Message")}"))}");
        output.WriteLine($"{count} running: {string.Join(", ", tasks.Select(t => t.GetProperty("Name").GetString()))}");
        return [.. tasks.OrderBy(t => t.GetProperty("Slot").GetInt32())];
    }
}
