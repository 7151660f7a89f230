using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Control;

/// <summary>`backbone node` with a bad agent flag: exit 2 before anything starts, naming the flag and what works.</summary>
public sealed class NodeFlagsTests
{
    [Theory]
    [InlineData("--probe-port", "70000", "give 1-65535 (7946 by default), or 0 for no probes")]
    [InlineData("--probe-port", "-1", "give 1-65535 (7946 by default), or 0 for no probes")]
    [InlineData("--data-path-port", "65536", "give 1-65535 (4789 is VXLAN's), or 0 for no tunnels")]
    [InlineData("--data-path-port", "-4789", "give 1-65535 (4789 is VXLAN's), or 0 for no tunnels")]
    [InlineData("--netns-prefix", "BB_", "must be 1-32 characters of a-z, 0-9 and '-'")]
    public async Task ABadAgentFlagIsRefusedBeforeTheNodeStarts(string flag, string value, string hint)
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "bb-node-flags-" + Guid.NewGuid().ToString("N")[..8]);

        Tool.Result result = await Tool.RunAsync(NodeProcess.Script(), ["node", "--name", "n1", "--data-dir", dataDir, "--listen-client", "127.0.0.1:0", flag, value], timeout: TimeSpan.FromSeconds(120));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"Error: {flag}", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(hint, result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataDir), "a refused node makes no data directory");
    }
}
