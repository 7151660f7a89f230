using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Control;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Lab;

/// <summary>
/// Containers on different hosts of a lab, over the kernel VXLAN the agents program: they reach
/// each other by address and by DNS name, every host's tunnel holds exactly the other hosts'
/// containers, the underlay carries UDP 4789 with the network's VNI, and a removed network
/// leaves nothing on any host. Real nodes, namespaces, devices and tools (ip, bridge, ping,
/// getent, tcpdump).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class OverlayLabTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task ContainersOnDifferentHostsTalkOverVxlanAndARemovedNetworkLeavesNothing()
    {
        Skip.IfNot(HostNamespaces.IsRoot, "the lab makes network namespaces and links: run the tests as root");
        await using LabRun lab = await LabRun.UpAsync(3);
        Assert.Equal(0, (await lab.CliAsync("network", "create", "--subnet", "10.77.0.0/24", "front")).ExitCode);
        Tool.Result created = await lab.CliAsync("service", "create", "--name", "web", "--replicas", "3", "--network", "front", "--", NodeProcess.Script(), "echo-server", "--port", "8080");
        Assert.True(created.ExitCode == 0, created.All);

        // One task per host (the scheduler spreads them), each running.
        Dictionary<int, (string Container, string Address)> tasks = [];
        await Poll.UntilAsync(async () =>
        {
            tasks = await RunningTasksAsync(lab);
            return tasks.Count == 3;
        }, Converge, () => "three running tasks, one per host:\n" + string.Join('\n', tasks));

        // The tunnel on each host: the network's VNI, our port, learning off, proxy ARP, on the sandbox's bridge.
        string vni = (await lab.CliAsync("network", "inspect", "front")).Stdout.Split("\"Vni\":")[1].Split(',')[0].Trim();
        foreach ((int host, _) in tasks)
        {
            string link = await HostNamespaces.LinksAsync($"{lab.AgentPrefix(host)}sb-{vni}");
            Assert.Matches($"vxlan0.* master br0 ", link);
            Assert.Contains($"vxlan id {vni} local {lab.HostAddress(host)} ", link, StringComparison.Ordinal);
            Assert.Contains("dstport 4789 nolearning proxy", link, StringComparison.Ordinal);
        }

        // Each host's FDB and neighbour table hold exactly the other hosts' containers.
        await Poll.UntilAsync(async () =>
        {
            foreach ((int host, _) in tasks)
            {
                string sandbox = $"{lab.AgentPrefix(host)}sb-{vni}";
                string[] expectedFdb = [.. tasks.Where(t => t.Key != host).Select(t => $"{Mac(t.Value.Address)} dst {lab.HostAddress(t.Key)}").Order()];
                string[] expectedNeigh = [.. tasks.Where(t => t.Key != host).Select(t => t.Value.Address).Order()];
                string[] fdb = await FdbAsync(sandbox);
                string[] neighbours = await NeighboursAsync(sandbox);
                if (!expectedFdb.AsEnumerable().SequenceEqual(fdb) || !expectedNeigh.AsEnumerable().SequenceEqual(neighbours))
                {
                    return false;
                }
            }

            return true;
        }, Converge, () => "every host's vxlan0 holds exactly the other hosts' containers");

        // From host 1: every replica by address and by name (ping, then an echo exchange), the names from the embedded DNS.
        string client = tasks[1].Container;
        foreach ((int host, (string _, string address)) in tasks.Where(t => t.Key != 1))
        {
            Tool.Result ping = await InAsync(client, "ping", "-c", "1", "-W", "2", address);
            Assert.True(ping.ExitCode == 0, $"ping {address} (host {host}) from host 1:\n{ping.All}");
        }

        Tool.Result resolved = await InAsync(client, "getent", "ahosts", "tasks.web");
        Assert.Equal(tasks.Values.Select(t => t.Address).Order(), AddressesIn(resolved.Stdout));
        foreach (string name in (await lab.CliAsync("service", "ps", "web")).Stdout.Split('\n').Skip(1).Where(l => l.Length > 0).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]))
        {
            Tool.Result echo = await InAsync(client, NodeProcess.Script(), "echo-client", $"{name}:8080", "hi");
            Assert.True(echo.ExitCode == 0 && echo.Stdout.Contains($"{name}: hi", StringComparison.Ordinal), $"echo to {name}:\n{echo.All}");
        }

        // The underlay carries it as VXLAN: UDP 4789 with the network's VNI.
        Tool.Result capture = await CaptureVxlanAsync(lab, () => InAsync(client, "ping", "-c", "3", "-W", "2", tasks[2].Address));
        Assert.Matches($"VXLAN, flags \\[I\\] \\(0x08\\), vni {vni}\\b", capture.Stdout);

        // A removed network leaves nothing on any host: no container, sandbox or tunnel.
        Assert.Equal(0, (await lab.CliAsync("service", "rm", "web")).ExitCode);
        await Poll.UntilAsync(async () => (await lab.CliAsync("network", "rm", "front")).ExitCode == 0, Converge, () => "network rm front once its service is gone");
        await Poll.UntilAsync(async () =>
        {
            foreach (int host in new[] { 1, 2, 3 })
            {
                if ((await HostNamespaces.ListAsync(lab.AgentPrefix(host))).Count > 0)
                {
                    return false;
                }
            }

            return true;
        }, Converge, () => "no namespace of any agent is left");
        Assert.DoesNotContain("vx-", (await Tool.RunAsync("ip", ["-n", $"{lab.Prefix}host-1", "link"])).Stdout, StringComparison.Ordinal);
    }

    /// <summary>The running tasks of `web` by host index: their container namespace and address.</summary>
    private static async Task<Dictionary<int, (string Container, string Address)>> RunningTasksAsync(LabRun lab)
    {
        var found = new Dictionary<int, (string, string)>();
        foreach (string line in (await lab.CliAsync("service", "ps", "web")).Stdout.Split('\n').Skip(1))
        {
            string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length >= 5 && columns[3] == "running" && columns[2].StartsWith("host-", StringComparison.Ordinal))
            {
                int host = int.Parse(columns[2]["host-".Length..], System.Globalization.CultureInfo.InvariantCulture);
                string container = $"{lab.AgentPrefix(host)}c-{columns[0]}";
                found[host] = (container, columns[4].Split('=')[1]);
            }
        }

        return found;
    }

    private static Task<Tool.Result> InAsync(string container, params string[] command) =>
        Tool.RunAsync("ip", ["netns", "exec", container, .. command], timeout: TimeSpan.FromSeconds(60));

    private static async Task<string[]> FdbAsync(string sandbox) =>
        [.. (await Tool.RunAsync("bridge", ["-n", sandbox, "fdb", "show", "dev", "vxlan0"])).Stdout.Split('\n')
            .Where(l => l.Contains(" dst ", StringComparison.Ordinal)).Select(l => string.Join(' ', l.Split(' ').Take(3))).Order()];

    private static async Task<string[]> NeighboursAsync(string sandbox) =>
        [.. (await Tool.RunAsync("ip", ["-n", sandbox, "-4", "neigh", "show", "dev", "vxlan0"])).Stdout.Split('\n')
            .Where(l => l.Contains("PERMANENT", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).Order()];

    private static string[] AddressesIn(string getent) =>
        [.. getent.Split('\n').Where(l => l.Contains("STREAM", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).Order()];

    private static string Mac(string ipv4) => Backbone.Overlay.Reconcile.HostNames.MacFor(ipv4);

    /// <summary>tcpdump on host 1's underlay link while <paramref name="traffic"/> runs; tcpdump decodes UDP 4789 as VXLAN.</summary>
    private static async Task<Tool.Result> CaptureVxlanAsync(LabRun lab, Func<Task<Tool.Result>> traffic)
    {
        string tcpdump = Tool.Require("tcpdump", "tcpdump");
        Task<Tool.Result> capture = Tool.RunAsync("ip", ["netns", "exec", $"{lab.Prefix}host-1", tcpdump, "-i", "eth0", "-nn", "-v", "-l", "-c", "2", "udp", "port", "4789"],
            timeout: TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(1)); // tcpdump attaching: the pings below run 3 s, so a slow start still sees some
        await traffic();
        return await capture;
    }
}
