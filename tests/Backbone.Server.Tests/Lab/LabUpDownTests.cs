using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Control;
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
    [SkippableFact]
    public async Task UpFormsAClusterAcrossHostsAndDownLeavesNothing()
    {
        Skip.IfNot(HostNamespaces.IsRoot, "the lab makes network namespaces and links: run the tests as root");
        LabRun lab = await LabRun.UpAsync(4);
        await using (lab)
        {
            string prefix = lab.Prefix;

            // Four hosts, each in its own namespace with its underlay address; three managers and a worker, all reachable.
            Assert.Equal([$"{prefix}host-1", $"{prefix}host-2", $"{prefix}host-3", $"{prefix}host-4", $"{prefix}lab"], await HostNamespaces.ListAsync(prefix));
            Assert.Contains($"inet {lab.HostAddress(3)}/24", (await Tool.RunAsync("ip", ["-n", $"{prefix}host-3", "addr", "show", "eth0"])).Stdout, StringComparison.Ordinal);
            Tool.Result nodes = await lab.CliAsync("node", "ls");
            Assert.Equal(4, nodes.Stdout.Split('\n').Count(l => l.Contains("reachable", StringComparison.Ordinal)));
            Assert.Equal(3, nodes.Stdout.Split('\n').Count(l => l.Contains("leader", StringComparison.Ordinal) || l.Contains("follower", StringComparison.Ordinal)));

            Tool.Result status = await LabRun.Backbone(["lab", "status", .. lab.LabFlags]);
            Assert.Equal(4, status.Stdout.Split('\n').Count(l => l.Contains("running (pid", StringComparison.Ordinal)));

            Tool.Result again = await LabRun.Backbone(["lab", "up", "--hosts", "2", "--subnet", lab.Subnet, .. lab.LabFlags]);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("is up already", again.Stderr, StringComparison.Ordinal);

            Tool.Result down = await LabRun.Backbone(["lab", "down", .. lab.LabFlags]);
            Assert.True(down.ExitCode == 0, down.Stdout + down.Stderr);
            Assert.Empty(await HostNamespaces.ListAsync(prefix));
            Assert.Empty(HostNamespaces.EtcEntries(prefix));
            Assert.False(Directory.Exists(lab.DataDir));
            Assert.NotEqual(0, (await Tool.RunAsync("ip", ["link", "show", $"{prefix}lab"])).ExitCode);
        } // (disposing runs `lab down` again: whatever a failure left)
    }
}
