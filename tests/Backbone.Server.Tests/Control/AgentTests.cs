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
    public Task AServiceRunsInContainersThatReachEachOther() => WithClusterAsync("bbagent", async cluster =>
    {
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
        // Each task leads a session of its own, not its node's: Ctrl-C on a node's terminal is the
        // node's to handle, and the scheduler weighs the task apart from the node.
        foreach (string container in namespaces.Where(n => n.Contains("-c-", StringComparison.Ordinal)))
        {
            int pid = Assert.Single(await HostNamespaces.PidsAsync(container));
            Assert.Equal(pid, SessionOf(pid));
            Assert.NotEqual(SessionOf(cluster[0].Pid), pid);
        }

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

        // Each task's output is kept by its node and gathered by `service logs`.
        Tool.Result logs = await Backbone(endpoint, "service", "logs", "web");
        Assert.True(logs.ExitCode == 0, logs.All);
        foreach (JsonElement task in five)
        {
            string name = task.GetProperty("Name").GetString()!;
            Assert.Contains($"{name}@{cluster[0].Name}", logs.Stdout, StringComparison.Ordinal);
            Assert.Contains($"echo-server {name}: listening on tcp", logs.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains("connection from", (await Backbone(endpoint, "service", "logs", "web", "--tail", "5")).Stdout, StringComparison.Ordinal); // web.2 and web.3 saw web.1's echo-client

        // A rolling update replaces every task (new ids, new containers), one at a time.
        Tool.Result updated = await Backbone(endpoint, "service", "update", "web", "--force");
        Assert.True(updated.ExitCode == 0, updated.All);
        Assert.Contains("version 2", updated.Stdout, StringComparison.Ordinal);
        JsonElement[] rolled = await WaitForRunningAsync(endpoint, "web", 5, t => t.GetProperty("ServiceVersion").GetInt32() == 2);
        Assert.Empty(rolled.Select(t => t.GetProperty("Id").GetString()).Intersect(five.Select(t => t.GetProperty("Id").GetString())));
        await AssertHostHoldsExactlyAsync(mine, containers: 5);

        Assert.Equal(0, (await Backbone(endpoint, "service", "scale", "web=1")).ExitCode);
        await WaitForRunningAsync(endpoint, "web", 1);
        await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(mine)).Count(n => n.Contains("-c-", StringComparison.Ordinal)) == 1,
            TimeSpan.FromSeconds(30), () => "the scaled-in containers are still there");
        await AssertHostHoldsExactlyAsync(mine, containers: 1); // their bridge ports, processes and /etc/netns files went too

        // Removal takes the last container and the network's sandbox with it.
        Assert.Equal(0, (await Backbone(endpoint, "service", "rm", "web")).ExitCode);
        await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(mine)).Count == 0, TimeSpan.FromSeconds(30),
            () => "namespaces left after service rm");
        Assert.Equal("0", (await Backbone(endpoint, "kv", "get", "/bb/ipam/", "--prefix", "--count-only")).Stdout.Trim()); // addresses released
        Assert.Equal(0, (await Backbone(endpoint, "network", "rm", "appnet")).ExitCode);
    });

    [SkippableFact]
    public Task AnAgentKilledMidwayConvergesWithNoLeftovers() => WithClusterAsync("bbagentkill", async cluster =>
    {
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

        // Killed while it removes containers: between the first removal and the second.
        node.Kill();
        node.ExtraEnvironment[KernelHostCrashVariable] = "2";
        await node.RestartAsync(); // its first round finds all in place: no kernel change yet
        await WaitForRunningAsync(endpoint, "web", 3);
        Assert.Equal(0, (await Backbone(endpoint, "service", "scale", "web=1")).ExitCode);
        Assert.Equal(137, node.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("crash injected before kernel change 2 ", node.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await HostNamespaces.ListAsync(mine)).Count(n => n.Contains("-c-", StringComparison.Ordinal))); // one of two removed
        node.ExtraEnvironment.Remove(KernelHostCrashVariable);
        await node.RestartAsync();
        await WaitForRunningAsync(endpoint, "web", 1);
        await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(mine)).Count(n => n.Contains("-c-", StringComparison.Ordinal)) == 1,
            TimeSpan.FromSeconds(30), () => "scaled-in containers left");
        await AssertHostHoldsExactlyAsync(mine, containers: 1);

        // And everything goes with the service.
        Assert.Equal(0, (await Backbone(endpoint, "service", "rm", "web")).ExitCode);
        await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(mine)).Count == 0, TimeSpan.FromSeconds(30), () => "namespaces left after service rm");
    });

    /// <summary>The session id in /proc/PID/stat: the fourth field after the command's closing parenthesis.</summary>
    private static int SessionOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture);
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
        Assert.Equal(made, HostNamespaces.EtcEntries(prefix)); // resolv.conf files of exactly the containers that exist
    }

    [SkippableFact]
    public Task StandaloneContainersJoinAttachableNetworks() => WithClusterAsync("bbagentctr", async cluster =>
    {
        string endpoint = cluster[0].ClientEndpoint;
        string mine = cluster.AgentPrefixOf(cluster[0])!;
        Assert.Equal(0, (await Backbone(endpoint, "network", "create", "--attachable", "--subnet", "10.232.5.0/24", "shared")).ExitCode);
        Assert.Equal(0, (await Backbone(endpoint, "network", "create", "--subnet", "10.232.6.0/24", "closed")).ExitCode);
        Assert.Equal(0, (await Backbone(endpoint, "network", "create", "--attachable", "--subnet", "10.232.7.0/24", "second")).ExitCode);
        Assert.Equal(0, (await Backbone(endpoint, ["service", "create", "--name", "web", "--network", "shared", "--", .. EchoServer])).ExitCode);
        JsonElement web = (await WaitForRunningAsync(endpoint, "web", 1))[0];
        string webIp = web.GetProperty("Addresses")[0].GetString()!.Split('=')[1];

        Tool.Result run = await Backbone(endpoint, "container", "run", "--network", "shared", "--network", "second", "--name", "probe", "--alias", "debug", "--", "sleep", "infinity");
        Assert.True(run.ExitCode == 0, run.All);
        Assert.Matches("^[a-z0-9]{25}$", run.Stdout.Trim());
        JsonElement probe = default;
        await Poll.UntilAsync(async () =>
        {
            probe = JsonDocument.Parse((await Backbone(endpoint, "container", "ls", "--format", "json")).Stdout).RootElement.EnumerateArray().Single();
            return probe.GetProperty("State").GetString() == "running";
        }, TimeSpan.FromSeconds(30), () => $"probe is not running: {probe}");
        Assert.Equal(cluster[0].Name, probe.GetProperty("NodeName").GetString());
        Assert.Equal(["debug"], probe.GetProperty("Aliases").EnumerateArray().Select(a => a.GetString()));

        // One interface per network, in the order given; the default route via the first.
        string addresses = (await Backbone(endpoint, "exec", "probe", "--", "ip", "-o", "-4", "addr", "show")).Stdout;
        Assert.Matches(@"eth0\s+inet 10\.232\.5\.\d+/24", addresses);
        Assert.Matches(@"eth1\s+inet 10\.232\.7\.\d+/24", addresses);
        Assert.Contains("default via 10.232.5.1 dev eth0", (await Backbone(endpoint, "exec", "probe", "--", "ip", "route")).Stdout, StringComparison.Ordinal);
        Assert.Equal(2, (await HostNamespaces.ListAsync(mine)).Count(n => n.Contains("-sb-", StringComparison.Ordinal))); // a sandbox per network in use here

        // It reaches the service's task and the task reaches it, by exec on its name.
        Tool.Result echo = await Backbone(endpoint, "exec", "probe", "--", NodeProcess.Script(), "echo-client", $"{webIp}:8080", "from-probe");
        Assert.True(echo.ExitCode == 0, echo.All);
        Assert.Equal($"{web.GetProperty("Name").GetString()}: from-probe", echo.Stdout.Trim());
        string probeIp = probe.GetProperty("Addresses").EnumerateArray().Select(a => a.GetString()!).Single(a => a.StartsWith("shared=", StringComparison.Ordinal)).Split('=')[1];
        Assert.Equal(0, (await Backbone(endpoint, "exec", "web.1", "--", "ping", "-c", "1", "-W", "2", probeIp)).ExitCode);
        Assert.Equal("3", (await Backbone(endpoint, "kv", "get", "/bb/endpoints/", "--prefix", "--count-only")).Stdout.Trim()); // the task's, and the probe's on each network

        // Refusals, each clear, nothing written.
        string before = (await Backbone(endpoint, "kv", "get", "/bb/", "--prefix", "--keys-only")).Stdout;
        (string[] Args, string Message)[] refused =
        [
            (["container", "run", "--network", "closed", "--", "sleep", "1"], "network \"closed\" is not attachable"),
            (["container", "run", "--network", "nosuch", "--", "sleep", "1"], "no network \"nosuch\""),
            (["container", "run", "--network", "shared", "--name", "probe", "--", "sleep", "1"], "a container named \"probe\" already exists"),
            (["container", "run", "--network", "shared", "--", "/no/such/program"], "command \"/no/such/program\" does not exist"),
            (["container", "rm", "nosuch"], "no container \"nosuch\""),
            (["exec", "nosuch", "--", "true"], "no task or container \"nosuch\""),
        ];
        foreach ((string[] args, string message) in refused)
        {
            Tool.Result answer = await Backbone(endpoint, args);
            Assert.True(answer.ExitCode != 0, $"{string.Join(' ', args)} succeeded\n{answer.All}");
            Assert.Contains(message, answer.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal(before, (await Backbone(endpoint, "kv", "get", "/bb/", "--prefix", "--keys-only")).Stdout);
        Assert.Contains("is in use", (await Backbone(endpoint, "network", "rm", "shared")).Stderr, StringComparison.Ordinal);

        Assert.Equal(0, (await Backbone(endpoint, "container", "rm", "probe")).ExitCode);
        await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(mine)).Count(n => n.Contains("-c-", StringComparison.Ordinal)) == 1,
            TimeSpan.FromSeconds(30), () => "probe's namespace is still there");
        await AssertHostHoldsExactlyAsync(mine, containers: 1); // and "second"'s sandbox went with its last container
        Assert.Equal("2", (await Backbone(endpoint, "kv", "get", "/bb/ipam/", "--prefix", "--count-only")).Stdout.Trim()); // the probe's address went at once; web's VIP and task's remain
    });

    [SkippableFact]
    public Task TasksFollowTheirRestartCondition() => WithClusterAsync("bbagentrestart", async cluster =>
    {
        string endpoint = cluster[0].ClientEndpoint;
        Assert.Equal(0, (await Backbone(endpoint, "network", "create", "appnet")).ExitCode);
        (string Name, string Condition, string Script)[] services =
        [
            ("once", "none", "echo bye; exit 3"),
            ("done", "on-failure", "echo finished; exit 0"),
            ("again", "any", "echo again; exit 1"),
        ];
        foreach ((string name, string condition, string script) in services)
        {
            Assert.Equal(0, (await Backbone(endpoint, "service", "create", "--name", name, "--restart-condition", condition, "--network", "appnet", "--", "/bin/sh", "-c", script)).ExitCode);
        }

        JsonElement once = await WaitForTaskAsync(endpoint, "once", t => t.GetProperty("CurrentState").GetString() == "failed");
        Assert.Contains("exited with code 3", once.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, once.GetProperty("Restarts").GetInt32());
        await WaitForTaskAsync(endpoint, "done", t => t.GetProperty("CurrentState").GetString() == "complete");
        JsonElement again = await WaitForTaskAsync(endpoint, "again", t => t.GetProperty("Restarts").GetInt32() >= 2);
        Assert.Contains("exited with code 1", again.GetProperty("Message").GetString(), StringComparison.Ordinal);

        Tool.Result logs = await Backbone(endpoint, "service", "logs", "once");
        Assert.Contains("| bye", logs.Stdout, StringComparison.Ordinal);
        Assert.Contains("| exited with code 3", logs.Stdout, StringComparison.Ordinal);
        Assert.True((await Backbone(endpoint, "service", "logs", "again")).Stdout.Split('\n').Count(l => l.EndsWith("| again", StringComparison.Ordinal)) >= 2); // each run's output, kept (two runs ended by the time Restarts was 2)
    });

    [SkippableFact]
    public Task ADeadNodesEndpointsVanishAndANodeThatLeavesRemovesEverythingItMade() => WithClusterAsync("bbagentleave", async cluster =>
    {
        string endpoint = cluster[0].ClientEndpoint;
        ClusterMember worker = await cluster.JoinWorkerAsync(await BackboneCli.JoinTokenAsync(output, endpoint, "worker"));
        string theirs = cluster.AgentPrefixOf(worker)!;
        Assert.Equal(0, (await Backbone(endpoint, "network", "create", "appnet")).ExitCode);
        Assert.Equal(0, (await Backbone(endpoint, ["service", "create", "--name", "edge", "--replicas", "2", "--network", "appnet", "--constraint", $"node.name=={worker.Name}", "--", .. EchoServer])).ExitCode);
        JsonElement[] tasks = await WaitForRunningAsync(endpoint, "edge", 2);
        Assert.All(tasks, t => Assert.Equal(worker.Name, t.GetProperty("NodeName").GetString()));
        Assert.Equal(3, (await HostNamespaces.ListAsync(theirs)).Count); // the worker's agent built them (a sandbox, two containers)
        Assert.Empty(await HostNamespaces.ListAsync(cluster.AgentPrefixOf(cluster[0])!));
        Assert.Contains("listening on tcp", (await Backbone(endpoint, "service", "logs", "edge")).Stdout, StringComparison.Ordinal); // gathered from the worker
        Assert.Equal("2", (await Backbone(endpoint, "kv", "get", "/bb/endpoints/", "--prefix", "--count-only")).Stdout.Trim());

        // The worker dies: its endpoints and task statuses go with its lease (10 s), and its tasks wait for a node that fits.
        worker.Kill();
        await Poll.UntilAsync(async () => (await Backbone(endpoint, "kv", "get", "/bb/endpoints/", "--prefix", "--count-only")).Stdout.Trim() == "0",
            TimeSpan.FromSeconds(30), () => "a dead node's endpoints are still listed");
        Assert.Equal("0", (await Backbone(endpoint, "kv", "get", "/bb/taskstatus/", "--prefix", "--count-only")).Stdout.Trim());
        await Poll.UntilAsync(async () =>
        {
            Tool.Result ps = await Backbone(endpoint, "service", "ps", "edge", "--format", "json");
            return ps.ExitCode == 0 && JsonDocument.Parse(ps.Stdout).RootElement.EnumerateArray().All(t => t.GetProperty("CurrentState").GetString() == "pending");
        }, TimeSpan.FromSeconds(30), () => "edge's tasks are not pending while their only node is down");

        // It comes back: the tasks are placed on it again (new tasks), its agent replaces what the old ones left.
        await worker.RestartAsync();
        JsonElement[] back = await WaitForRunningAsync(endpoint, "edge", 2);
        Assert.Empty(back.Select(t => t.GetProperty("Id").GetString()).Intersect(tasks.Select(t => t.GetProperty("Id").GetString())));
        await Poll.UntilAsync(async () => (await HostNamespaces.ListAsync(theirs)).Count == 3, TimeSpan.FromSeconds(30), () => "the old tasks' containers are still there");

        Tool.Result left = await BackboneCli.RunAsync(output, worker.ClientEndpoint, "swarm", "leave");
        Assert.True(left.ExitCode == 0, left.All);
        Assert.Equal(0, worker.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Empty(await HostNamespaces.ListAsync(theirs));
        Assert.Empty(HostNamespaces.EtcEntries(theirs));
        Assert.Contains("removed every container and sandbox of this node", worker.Output, StringComparison.Ordinal);
    });

    /// <summary>A one-manager cluster whose agent names its namespaces with a per-run prefix, all of which are removed afterwards, whatever happened.</summary>
    private static async Task WithClusterAsync(string name, Func<TestCluster, Task> test)
    {
        Skip.IfNot(HostNamespaces.IsRoot, NeedsRoot);
        string prefix = $"bbt{Guid.NewGuid().ToString("N")[..4]}-";
        try
        {
            await using TestCluster cluster = await TestCluster.StartAsync(1, name, agentPrefix: prefix);
            await test(cluster);
        }
        finally
        {
            await HostNamespaces.RemoveAsync(prefix);
        }
    }

    private static async Task<JsonElement> WaitForTaskAsync(string endpoint, string service, Func<JsonElement, bool> done)
    {
        JsonElement task = default;
        await Poll.UntilAsync(async () =>
        {
            Tool.Result ps = await Backbone(endpoint, "service", "ps", service, "--format", "json");
            JsonElement[] tasks = ps.ExitCode == 0 ? [.. JsonDocument.Parse(ps.Stdout).RootElement.EnumerateArray()] : [];
            task = tasks.Length == 1 ? tasks[0] : default;
            return tasks.Length == 1 && done(task);
        }, TimeSpan.FromSeconds(60), () => $"{service}'s task did not get there: {task}");
        return task;
    }

    private async Task<JsonElement[]> WaitForRunningAsync(string endpoint, string service, int count, Func<JsonElement, bool>? also = null)
    {
        JsonElement[] tasks = [];
        await Poll.UntilAsync(async () =>
        {
            Tool.Result ps = await Backbone(endpoint, "service", "ps", service, "--format", "json");
            tasks = ps.ExitCode == 0 ? [.. JsonDocument.Parse(ps.Stdout).RootElement.EnumerateArray()] : [];
            return tasks.Length == count && tasks.All(t => t.GetProperty("CurrentState").GetString() == "running" && (also is null || also(t)));
        }, TimeSpan.FromSeconds(60), () => $"not {count} running tasks of {service}: {string.Join("; ", tasks.Select(t => $"{t.GetProperty("Name")} {t.GetProperty("CurrentState")} {t.GetProperty("Message")}"))}");
        output.WriteLine($"{count} running: {string.Join(", ", tasks.Select(t => t.GetProperty("Name").GetString()))}");
        return [.. tasks.OrderBy(t => t.GetProperty("Slot").GetInt32())];
    }
}
