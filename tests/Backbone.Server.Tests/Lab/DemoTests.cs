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

    /// <summary>Without root, `demo` and `lab up` say what they need and make nothing (run as nobody when the tests run as root).</summary>
    [SkippableTheory]
    [InlineData("demo", "which needs root: run `sudo ./backbone demo`")]
    [InlineData("lab", "which needs root: run it as root (sudo ./backbone lab ...)")]
    public async Task WithoutRootItSaysWhatItNeeds(string verb, string message)
    {
        await Tool.RunAsync(NodeProcess.Script(), ["--help"], timeout: TimeSpan.FromSeconds(600)); // built, so the unprivileged run needs nothing written
        string cli = Path.Combine(Path.GetDirectoryName(NodeProcess.Script())!, ".artifacts", "backbone", "backbone.dll");
        string[] args = verb == "lab" ? ["lab", "up", "--prefix", "nr-"] : ["demo", "--prefix", "nr-"];
        Tool.Result result;
        if (HostNamespaces.IsRoot)
        {
            string? closed = Unreachable(cli);
            Skip.If(closed is not null, $"the user nobody cannot reach {cli} ({closed} is closed to others): clone the repository where others may read it to run this test as root");
            result = await Tool.RunAsync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "dotnet", cli, .. args], timeout: TimeSpan.FromSeconds(120));
        }
        else
        {
            result = await Tool.RunAsync("dotnet", [cli, .. args], timeout: TimeSpan.FromSeconds(120));
        }

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("Error: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(await HostNamespaces.ListAsync("nr-"));
    }

    /// <summary>The first directory above <paramref name="path"/> that others may not enter, or null.</summary>
    private static string? Unreachable(string path)
    {
        for (DirectoryInfo? dir = new FileInfo(path).Directory; dir is not null; dir = dir.Parent)
        {
            if (!dir.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
