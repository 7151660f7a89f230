using Backbone.Server.Tests.Control;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Lab;

/// <summary>`lab up` with bad flags: refused before anything is made, naming the flag and a value that works.</summary>
public sealed class LabFlagsTests
{
    [SkippableTheory]
    [InlineData("--prefix", "BB-", "1 to 8 characters")]
    [InlineData("--prefix", "toolongprefix", "1 to 8 characters")]
    [InlineData("--subnet", "172.31.0.0/16", "must be a /24")]
    [InlineData("--subnet", "not-a-subnet", "--subnet 172.31.213.0/24")]
    [InlineData("--hosts", "0", "give 1 to 200")]
    public async Task BadFlagsAreRefusedNamingTheFlag(string flag, string value, string hint)
    {
        Skip.IfNot(HostNamespaces.IsRoot, "lab up checks for root before its flags");
        string dataDir = Path.Combine(Path.GetTempPath(), "bb-lab-flags-" + Guid.NewGuid().ToString("N")[..8]);
        string[] args = ["lab", "up", "--data-dir", dataDir, flag, value];
        if (flag != "--prefix")
        {
            args = [.. args, "--prefix", "lf-"];
        }

        Tool.Result result = await Tool.RunAsync(NodeProcess.Script(), args, timeout: TimeSpan.FromSeconds(120));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"Error: {flag}", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(hint, result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataDir), "nothing is made for a refused lab");
    }
}
