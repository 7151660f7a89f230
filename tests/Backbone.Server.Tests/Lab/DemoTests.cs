using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Control;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Lab;

/// <summary>`backbone demo` as a user runs it (with its own prefix and subnet, so it never meets a user's demo): every step succeeds and nothing is left.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DemoTests
{
    [SkippableFact]
    public async Task TheDemoShowsTheWholeStoryAndLeavesNothing()
    {
        Skip.IfNot(HostNamespaces.IsRoot, "the demo makes network namespaces and links: run the tests as root");
        string prefix = $"d{Random.Shared.Next(0x10000):x4}-";
        string subnet = $"172.30.{Random.Shared.Next(100, 250)}.0/24";
        try
        {
            Tool.Result demo = await Tool.RunAsync(NodeProcess.Script(), ["demo", "--prefix", prefix, "--subnet", subnet], timeout: TimeSpan.FromSeconds(300));

            Assert.True(demo.ExitCode == 0, demo.All);
            foreach (string step in new[] { "[1]", "[2]", "[3]", "[4]", "[5]", "[6]", "[7]" })
            {
                Assert.Contains(step, demo.Stdout, StringComparison.Ordinal);
            }

            Assert.Equal(3, demo.Stdout.Split('\n').Count(l => l.Contains("GET / → \"hello from web.", StringComparison.Ordinal)));
            Assert.Contains("_http._tcp.web SRV: NoError", demo.Stdout, StringComparison.Ordinal);
            Assert.Equal(3, demo.Stdout.Split('\n').Count(l => l.Contains("vxlan0 vni", StringComparison.Ordinal) && l.Contains("dstport 4789 nolearning proxy", StringComparison.Ordinal)));
            Assert.Empty(await HostNamespaces.ListAsync(prefix));
        }
        finally
        {
            await Tool.RunAsync(NodeProcess.Script(), ["lab", "down", "--prefix", prefix, "--data-dir", Path.Combine("/var/lib/backbone-lab", prefix.TrimEnd('-'))], timeout: TimeSpan.FromSeconds(120));
        }
    }
}
