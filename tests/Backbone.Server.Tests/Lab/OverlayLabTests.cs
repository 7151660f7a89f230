using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Control;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using static Backbone.Server.Tests.Lab.LabLook;

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
        string vni = await VniAsync(lab, "front");
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

    [SkippableFact]
    public async Task AKilledHostLeavesDnsAndTheTunnelsBeforeItsLeaseRunsOutAndComesBackClean()
    {
        Skip.IfNot(HostNamespaces.IsRoot, "the lab makes network namespaces and links: run the tests as root");
        await using LabRun lab = await LabRun.UpAsync(3);
        Assert.Equal(0, (await lab.CliAsync("network", "create", "--subnet", "10.78.0.0/24", "front")).ExitCode);
        Assert.Equal(0, (await lab.CliAsync("service", "create", "--name", "web", "--replicas", "3", "--network", "front", "--", "sleep", "infinity")).ExitCode);
        Dictionary<int, (string Container, string Address)> tasks = [];
        await Poll.UntilAsync(async () => (tasks = await RunningTasksAsync(lab)).Count == 3, Converge, () => "three running tasks, one per host");
        string vni = await VniAsync(lab, "front");
        string victim = tasks[3].Address;
        string sandbox1 = $"{lab.AgentPrefix(1)}sb-{vni}";
        await Poll.UntilAsync(async () => (await FdbAsync(sandbox1)).Any(l => l.StartsWith(Mac(victim), StringComparison.Ordinal)), Converge, () => "host-1 has host-3's container in its FDB");
        Assert.Contains(victim, await HostDnsAsync(lab, 1, "tasks.web"));

        // SIGKILL host-3's node: no goodbye, its lease (10 s) still holds its records.
        var killed = System.Diagnostics.Stopwatch.StartNew();
        await lab.SignalNodeAsync(3, "KILL");

        // The others' probes find it dead: it leaves host-1's DNS and FDB while its endpoint is
        // still in the store, so the probes did it, not the lease.
        await Poll.UntilAsync(async () => !(await HostDnsAsync(lab, 1, "tasks.web")).Contains(victim) && !(await FdbAsync(sandbox1)).Any(l => l.StartsWith(Mac(victim), StringComparison.Ordinal)),
            Converge, () => "host-3's task left host-1's DNS and FDB");
        TimeSpan gone = killed.Elapsed;
        string endpoints = (await lab.CliAsync("kv", "get", "/bb/endpoints/", "--prefix", "--keys-only")).Stdout;
        Assert.True(endpoints.Contains(tasks[3].Container[^12..], StringComparison.Ordinal),
            $"host-3's endpoint was already gone from the store after {gone.TotalSeconds:0.0} s: the lease, not the probes, removed it");
        Console.WriteLine($"host-3's task left host-1's DNS and FDB {gone.TotalSeconds:0.00} s after the kill");

        // The scheduler replaces its task on the living hosts once its lease is gone.
        await Poll.UntilAsync(async () => (await RunningTasksAsync(lab)) is { Count: 2 } running && (await lab.CliAsync("service", "ps", "web")).Stdout.Split('\n').Count(l => l.Contains(" running ", StringComparison.Ordinal)) == 3,
            TimeSpan.FromSeconds(60), () => "three running tasks on hosts 1 and 2");

        // Host-3 comes back: reachable again, and its agent removes the container of the task that moved.
        await lab.StartNodeAsync(3);
        await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(lab.AgentPrefix(3) + "c-")).Count == 0 && (await HostDnsAsync(lab, 1, "tasks.web")).Count == 3,
            TimeSpan.FromSeconds(60), () => "host-3 back, with no container left of its moved task");
    }

    [SkippableFact]
    public async Task AScaledUpTaskOnAnotherHostIsReachableOnceItRuns()
    {
        Skip.IfNot(HostNamespaces.IsRoot, "the lab makes network namespaces and links: run the tests as root");
        await using LabRun lab = await LabRun.UpAsync(3);
        Assert.Equal(0, (await lab.CliAsync("network", "create", "--subnet", "10.81.0.0/24", "front")).ExitCode);
        Assert.Equal(0, (await lab.CliAsync("service", "create", "--name", "web", "--replicas", "1", "--network", "front", "--", "sleep", "infinity")).ExitCode);
        Dictionary<int, (string Container, string Address)> tasks = [];
        await Poll.UntilAsync(async () => (tasks = await RunningTasksAsync(lab)).Count == 1, Converge, () => "web's one task runs");
        int first = tasks.Keys.Single();

        // Scale to 3: the scheduler spreads the new tasks over the other two hosts.
        Assert.Equal(0, (await lab.CliAsync("service", "scale", "web=3")).ExitCode);
        await Poll.UntilAsync(async () => (tasks = await RunningTasksAsync(lab)).Count == 3, Converge, () => "three tasks run, one per host");

        // As soon as `service ps` says running, the first host reaches each new one: its agent
        // programmed the peer from the same store write. A few pings allow for the watch's delivery.
        var reported = System.Diagnostics.Stopwatch.StartNew();
        foreach ((int host, (string _, string address)) in tasks.Where(t => t.Key != first))
        {
            bool reached = false;
            for (int attempt = 0; attempt < 5 && !reached; attempt++)
            {
                reached = (await InAsync(tasks[first].Container, "ping", "-c", "1", "-W", "1", address)).ExitCode == 0;
            }

            Assert.True(reached, $"host-{first}'s task could not reach the new task {address} on host-{host}");
        }

        Console.WriteLine($"the new tasks answered host-{first} {reported.Elapsed.TotalMilliseconds:0} ms after `service ps` showed them running");
    }

    [SkippableFact]
    public async Task TwoNetworksWithTheSameNamesStayApart()
    {
        Skip.IfNot(HostNamespaces.IsRoot, "the lab makes network namespaces and links: run the tests as root");
        await using LabRun lab = await LabRun.UpAsync(2);
        Assert.Equal(0, (await lab.CliAsync("network", "create", "--subnet", "10.79.0.0/24", "red")).ExitCode);
        Assert.Equal(0, (await lab.CliAsync("network", "create", "--subnet", "10.80.0.0/24", "blue")).ExitCode);
        foreach ((string service, string network) in new[] { ("alpha", "red"), ("beta", "blue") })
        {
            Tool.Result created = await lab.CliAsync("service", "create", "--name", service, "--replicas", "2", "--endpoint-mode", "dnsrr", "--network", network, "--alias", "app", "--", "sleep", "infinity");
            Assert.True(created.ExitCode == 0, created.All);
        }

        Dictionary<string, List<(int Host, string Container, string Address)>> tasks = [];
        await Poll.UntilAsync(async () =>
        {
            tasks = new() { ["alpha"] = await TasksOfAsync(lab, "alpha"), ["beta"] = await TasksOfAsync(lab, "beta") };
            return tasks.Values.All(t => t.Count == 2 && t.Select(x => x.Host).Distinct().Count() == 2);
        }, Converge, () => "two running tasks of each service, one per host");

        // From a red container: `app` and `tasks.app` are red's only; blue's names do not exist for it.
        string red = tasks["alpha"].First(t => t.Host == 1).Container;
        string[] redAddresses = [.. tasks["alpha"].Select(t => t.Address).Order()];
        await Poll.UntilAsync(async () => AddressesIn((await InAsync(red, "getent", "ahosts", "app")).Stdout).SequenceEqual(redAddresses), Converge, () => "app resolves to red's tasks");
        Assert.Equal(redAddresses, AddressesIn((await InAsync(red, "getent", "ahosts", "tasks.app")).Stdout));
        Assert.NotEqual(0, (await InAsync(red, "getent", "hosts", "beta")).ExitCode);
        Assert.NotEqual(0, (await InAsync(red, "getent", "hosts", "tasks.beta")).ExitCode);

        // Nor can it reach blue's task on the other host, while red's there answers.
        string blueThere = tasks["beta"].First(t => t.Host == 2).Address;
        string redThere = tasks["alpha"].First(t => t.Host == 2).Address;
        Assert.Equal(0, (await InAsync(red, "ping", "-c", "1", "-W", "2", redThere)).ExitCode);
        Assert.NotEqual(0, (await InAsync(red, "ping", "-c", "1", "-W", "1", blueThere)).ExitCode);

        // And each network's tunnel on host 2 knows only its own network's remote container.
        foreach ((string service, string network) in new[] { ("alpha", "red"), ("beta", "blue") })
        {
            string vni = await VniAsync(lab, network);
            string remote = tasks[service].First(t => t.Host == 1).Address;
            Assert.Equal([$"{Mac(remote)} dst {lab.HostAddress(1)}"], await FdbAsync($"{lab.AgentPrefix(2)}sb-{vni}"));
        }
    }

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
