using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Control;
using Backbone.Server.Tests.Support;
using static Backbone.Server.Tests.Lab.LabLook;

namespace Backbone.Server.Tests.Lab;

/// <summary>
/// A host's node killed (by its agent's crash point, as a crash: SIGKILL, no shutdown code) in the
/// middle of programming its tunnel, then in the middle of programming its peers: each time the
/// restarted agent finds the half-made state and makes it whole, with nothing left over.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AgentCrashLabTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task AnAgentKilledMidwayThroughItsTunnelOrItsPeersConvergesWhenRestarted()
    {
        Skip.IfNot(HostNamespaces.IsRoot, "the lab makes network namespaces and links: run the tests as root");
        await using LabRun lab = await LabRun.UpAsync(3);
        Assert.Equal(0, (await lab.CliAsync("network", "create", "--subnet", "10.82.0.0/24", "front")).ExitCode);
        string vni = await VniAsync(lab, "front");
        string sandbox = $"{lab.AgentPrefix(2)}sb-{vni}";

        // Host-2's node, restarted to crash before its second tunnel change: the vxlan device is
        // made in the host's namespace (under a staging name) and not yet moved into the sandbox.
        await RestartNodeAsync(lab, 2, crashAt: "tunnel:2");

        // Its work arrives: a task placed on it, and the others' tasks as its peers.
        Assert.Equal(0, (await lab.CliAsync("service", "create", "--name", "web", "--replicas", "2", "--constraint", "node.name!=host-2", "--network", "front", "--", "sleep", "infinity")).ExitCode);
        Assert.Equal(0, (await lab.CliAsync("service", "create", "--name", "local", "--replicas", "1", "--constraint", "node.name==host-2", "--network", "front", "--", "sleep", "infinity")).ExitCode);
        await WaitForCrashAsync(lab, 2, "tunnel:2");
        Assert.Contains($"vx-{vni}", await HostNamespaces.LinksAsync($"{lab.Prefix}host-2"), StringComparison.Ordinal);
        Assert.DoesNotContain("vxlan0", await HostNamespaces.LinksAsync(sandbox), StringComparison.Ordinal);

        // Restarted to crash again, before its second batch of peer changes: the remote
        // containers' FDB entries are made, their neighbours not.
        List<(int Host, string Container, string Address)> remote = [];
        await Poll.UntilAsync(async () => (remote = await TasksOfAsync(lab, "web")).Count == 2, Converge, () => "web's two tasks run on hosts 1 and 3");
        Assert.Equal([1, 3], remote.Select(t => t.Host).Order());
        await lab.StartNodeAsync(2, crashAt: "peers:2");
        await WaitForCrashAsync(lab, 2, "peers:2");
        Assert.True((await FdbAsync(sandbox)).Length == 2 && (await NeighboursAsync(sandbox)).Length == 0,
            $"host-2's vxlan0 should hold the FDB entries without their neighbours:\n{(await Tool.RunAsync("bridge", ["-n", sandbox, "fdb", "show"])).Stdout}\n{(await Tool.RunAsync("ip", ["-n", sandbox, "neigh"])).Stdout}\n{File.ReadAllText(lab.NodeLog(2))}");
        Assert.DoesNotContain($"vx-{vni}", await HostNamespaces.LinksAsync($"{lab.Prefix}host-2"), StringComparison.Ordinal); // the staging device went into the sandbox this time

        // Restarted for good: exactly the remote containers in its tunnel, both ways reachable.
        await lab.StartNodeAsync(2);
        string[] expectedFdb = [.. remote.Select(t => $"{Mac(t.Address)} dst {lab.HostAddress(t.Host)}").Order()];
        string[] expectedNeighbours = [.. remote.Select(t => t.Address).Order()];
        await Poll.UntilAsync(async () => (await FdbAsync(sandbox)).SequenceEqual(expectedFdb) && (await NeighboursAsync(sandbox)).SequenceEqual(expectedNeighbours),
            Converge, () => $"host-2's vxlan0 holds exactly hosts 1 and 3's containers (fdb: {string.Join(", ", expectedFdb)})");
        Assert.Matches($"vxlan id {vni} local {lab.HostAddress(2).Replace(".", "\\.", StringComparison.Ordinal)} .*dstport 4789 nolearning proxy", await HostNamespaces.LinksAsync(sandbox));
        Assert.DoesNotContain("vx-", await HostNamespaces.LinksAsync($"{lab.Prefix}host-2"), StringComparison.Ordinal);

        (int _, string local, string localAddress) = Assert.Single(await WaitForTasksAsync(lab, "local", 1));
        foreach ((int host, string container, string address) in remote)
        {
            Tool.Result there = await InAsync(local, "ping", "-c", "1", "-W", "2", address);
            Assert.True(there.ExitCode == 0, $"host-2's task cannot reach {address} on host-{host}:\n{there.All}");
            Tool.Result back = await InAsync(container, "ping", "-c", "1", "-W", "2", localAddress);
            Assert.True(back.ExitCode == 0, $"host-{host}'s task cannot reach host-2's {localAddress}:\n{back.All}");
        }

        Assert.Single(await HostNamespaces.ListAsync(lab.AgentPrefix(2) + "c-")); // its task's container, made once
    }

    /// <summary>Stops host <paramref name="host"/>'s node cleanly (SIGTERM) and starts it again with a crash point.</summary>
    private static async Task RestartNodeAsync(LabRun lab, int host, string crashAt)
    {
        await lab.SignalNodeAsync(host, "TERM");
        await Poll.UntilAsync(async () => (await lab.NodePidsAsync(host)).Length == 0, Converge, () => $"host-{host}'s node stops on SIGTERM");
        await lab.StartNodeAsync(host, crashAt);
    }

    /// <summary>
    /// The node is gone, killed by its own crash point (its log says which), not by anything else.
    /// The log line comes first: the node is started in the background, so right after the start
    /// its namespace may hold no process yet, which alone would look like the crash.
    /// </summary>
    private static async Task WaitForCrashAsync(LabRun lab, int host, string crashAt)
    {
        string said = $"({Backbone.Overlay.Kernel.KernelHost.CrashAtStepVariable}={crashAt})";
        await Poll.UntilAsync(
            async () => File.ReadAllText(lab.NodeLog(host)).Contains(said, StringComparison.Ordinal) && (await lab.NodePidsAsync(host)).Length == 0,
            Converge, () => $"host-{host}'s node crashes at {crashAt}:\n{File.ReadAllText(lab.NodeLog(host))}");
    }

    private static async Task<List<(int Host, string Container, string Address)>> WaitForTasksAsync(LabRun lab, string service, int count)
    {
        List<(int Host, string Container, string Address)> tasks = [];
        await Poll.UntilAsync(async () => (tasks = await TasksOfAsync(lab, service)).Count == count, Converge, () => $"{service}'s {count} task(s) run");
        return tasks;
    }
}
