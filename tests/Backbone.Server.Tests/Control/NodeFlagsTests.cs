using System.Text.Json;
using System.Text.RegularExpressions;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Control;

/// <summary>
/// `backbone node`'s agent, DNS, metrics and Raft flags: a bad one is refused with exit 2 before
/// anything starts, naming the flag and what works; good ones are kept in the data directory, so
/// a restart with `--data-dir` alone runs as before, and a flag given again replaces its kept value.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NodeFlagsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task FlagsGivenOnceAreKeptForARestartWithTheDataDirectoryAlone()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "bb-node-kept-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var node = new NodeProcess(dataDir);
            node.ExtraArguments.AddRange(["--init", "--listen-peer", $"127.0.0.1:{FreePort.Next()}", "--election-timeout-ms", "400", "--no-agent", "--dns-addr", "127.0.0.1:0", "--dns-ttl", "17", "--metrics-addr", "127.0.0.1:0", "--snapshot-count", "5000"]);
            string first = await StartAsync(node);
            Assert.Contains("agent: off (--no-agent)", first, StringComparison.Ordinal);
            Assert.Matches(MetricsLine(), first);
            Tool.Result created = await Tool.RunAsync(NodeProcess.Script(), ["--endpoints", node.Endpoint, "network", "create", "--subnet", "10.234.1.0/24", "keptnet"]);
            Assert.True(created.ExitCode == 0, created.All);
            Assert.Equal(0, (await Tool.RunAsync(NodeProcess.Script(), ["--endpoints", node.Endpoint, "service", "create", "--name", "web", "--network", "keptnet", "--", "/bin/true"])).ExitCode);
            Assert.Equal("17", await TtlAsync(first, "web.keptnet"));

            // `node --data-dir DIR` alone: the same agent, DNS and metrics as before.
            await StopAsync(node);
            node.DataDirOnly = true;
            node.ExtraArguments.Clear();
            string second = await StartAsync(node);
            Assert.Contains("agent: off (--no-agent)", second, StringComparison.Ordinal);
            Assert.Matches(MetricsLine(), second);
            Assert.Equal("17", await TtlAsync(second, "web.keptnet"));

            // A flag given again replaces its kept value; `--metrics-addr off` turns metrics off again.
            await StopAsync(node);
            node.ExtraArguments.AddRange(["--metrics-addr", "off", "--dns-ttl", "5"]);
            string third = await StartAsync(node);
            Assert.DoesNotMatch(MetricsLine(), third);
            Assert.Equal("5", await TtlAsync(third, "web.keptnet"));
            Dictionary<string, string[]> kept = JsonSerializer.Deserialize<Dictionary<string, string[]>>(File.ReadAllText(Path.Combine(dataDir, "node-flags.json")))!;
            Assert.Equal(["off"], kept["--metrics-addr"]);
            Assert.Equal(["5"], kept["--dns-ttl"]);
            Assert.Equal(["5000"], kept["--snapshot-count"]);
            Assert.Equal(["400"], kept["--election-timeout-ms"]); // not the default (300): kept because given
            Assert.False(kept.ContainsKey("--init"), "--init is the first start's alone");
            Assert.Equal([], kept["--no-agent"]);
            await StopAsync(node);

            // A damaged file: refused, naming it and the fix, and left as it is.
            File.WriteAllText(Path.Combine(dataDir, "node-flags.json"), "{ \"--dns-ttl\": [");
            Tool.Result refused = await Tool.RunAsync(NodeProcess.Script(), ["node", "--data-dir", dataDir], timeout: TimeSpan.FromSeconds(120));
            Assert.Equal(2, refused.ExitCode);
            Assert.StartsWith($"Error: {Path.Combine(dataDir, "node-flags.json")} is damaged", refused.Stderr, StringComparison.Ordinal);
            Assert.Contains("delete it and give the node its flags again", refused.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>Starts the node and returns what it printed in this run once its DNS listener and its agent have said how they run (in either order).</summary>
    private static async Task<string> StartAsync(NodeProcess node)
    {
        int from = node.Output.Length;
        node.Start();
        await node.WaitReadyAsync(Patience);
        await Poll.UntilAsync(() => Task.FromResult(DnsLine().IsMatch(node.Output[from..]) && node.Output[from..].Contains("agent: ", StringComparison.Ordinal)),
            Patience, () => "no DNS listener or agent note:\n" + node.Output[from..]);
        return node.Output[from..];
    }

    private static async Task StopAsync(NodeProcess node)
    {
        node.Terminate();
        Assert.Equal(0, await node.WaitForExitAsync(Patience));
    }

    /// <summary>The TTL of the A record the run's DNS listener answers <paramref name="name"/> with.</summary>
    private static async Task<string> TtlAsync(string run, string name)
    {
        string[] server = DnsLine().Match(run).Groups[1].Value.Split(':');
        string answer = "";
        await Poll.UntilAsync(async () => (answer = (await Tool.RunAsync(Tool.Require("dig", "dnsutils"), ["@" + server[0], "-p", server[1], "+time=5", "+tries=1", "+noall", "+answer", name])).Stdout.Trim()).Length > 0,
            Patience, () => $"{name} is not answered");
        return answer.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1];
    }

    private static Regex DnsLine() => ClusterMember.DnsLine();

    private static Regex MetricsLine() => ClusterMember.MetricsLine();

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
