using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Control;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Lab;

/// <summary>
/// `backbone lab up` and `lab down` as an operator runs them (real processes, real namespaces):
/// hosts joined by an underlay, a cluster formed across them, and nothing left afterwards. Each
/// run has its own prefix and subnet, so parallel or aborted runs never collide.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LabUpDownTests
{
    private static Task<Tool.Result> Backbone(params string[] args) =>
        Tool.RunAsync(NodeProcess.Script(), args, timeout: TimeSpan.FromSeconds(300));

    [SkippableFact]
    public async Task UpFormsAClusterAcrossHostsAndDownLeavesNothing()
    {
        Skip.IfNot(HostNamespaces.IsRoot, "the lab makes network namespaces and links: run the tests as root");
        string prefix = $"l{Random.Shared.Next(0x10000):x4}-";
        string subnet = $"172.31.{Random.Shared.Next(100, 250)}.0/24";
        string dataDir = Path.Combine(Path.GetTempPath(), "bb-lab-test-" + prefix.TrimEnd('-'));
        string[] lab = ["--prefix", prefix, "--data-dir", dataDir];
        try
        {
            Tool.Result up = await Backbone(["lab", "up", "--hosts", "4", "--subnet", subnet, .. lab]);
            Assert.True(up.ExitCode == 0, up.Stdout + up.Stderr);
            string first = subnet.Replace(".0/24", ".1", StringComparison.Ordinal);

            // Four hosts, each in its own namespace with its underlay address; three managers and a worker, all reachable.
            Assert.Equal([$"{prefix}host-1", $"{prefix}host-2", $"{prefix}host-3", $"{prefix}host-4", $"{prefix}lab"], await HostNamespaces.ListAsync(prefix));
            Assert.Contains($"inet {subnet.Replace(".0/24", ".3/24", StringComparison.Ordinal)}", (await Tool.RunAsync("ip", ["-n", $"{prefix}host-3", "addr", "show", "eth0"])).Stdout, StringComparison.Ordinal);
            Tool.Result nodes = await Backbone("--endpoints", $"{first}:2379", "node", "ls");
            Assert.Equal(4, nodes.Stdout.Split('\n').Count(l => l.Contains("reachable", StringComparison.Ordinal)));
            Assert.Equal(3, nodes.Stdout.Split('\n').Count(l => l.Contains("leader", StringComparison.Ordinal) || l.Contains("follower", StringComparison.Ordinal)));

            Tool.Result status = await Backbone(["lab", "status", .. lab]);
            Assert.Equal(4, status.Stdout.Split('\n').Count(l => l.Contains("running (pid", StringComparison.Ordinal)));

            Tool.Result again = await Backbone(["lab", "up", "--hosts", "2", "--subnet", subnet, .. lab]);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("is up already", again.Stderr, StringComparison.Ordinal);

            Tool.Result down = await Backbone(["lab", "down", .. lab]);
            Assert.True(down.ExitCode == 0, down.Stdout + down.Stderr);
            Assert.Empty(await HostNamespaces.ListAsync(prefix));
            Assert.Empty(HostNamespaces.EtcEntries(prefix));
            Assert.False(Directory.Exists(dataDir));
            Assert.NotEqual(0, (await Tool.RunAsync("ip", ["link", "show", $"{prefix}lab"])).ExitCode);
        }
        finally
        {
            await Backbone(["lab", "down", .. lab]); // whatever a failure left
        }
    }
}
