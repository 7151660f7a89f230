using Backbone.Client;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Crash;

/// <summary>
/// `backbone node --unsafe-no-fsync`, as etcd's flag, exists for benchmarks (what a write costs
/// besides its sync): it says so on every start that has it, is never kept for the next start,
/// and a cluster member refuses it (DotNext flushes the Raft log anyway).
/// </summary>
public sealed class UnsafeNoFsyncTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task AStandaloneNodeWarnsServesAndForgetsTheFlagOnRestart()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "bb-nofsync-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var node = new NodeProcess(dataDir);
            node.ExtraArguments.Add("--unsafe-no-fsync");
            node.Start();
            await node.WaitReadyAsync(Patience);
            Assert.Contains("--unsafe-no-fsync: the WAL is not synced to disk", node.Output, StringComparison.Ordinal);
            using (BackboneClient client = new(node.Endpoint))
            {
                await client.PutAsync("k", "v");
            }

            node.Terminate();
            Assert.Equal(0, await node.WaitForExitAsync(Patience));
            int from = node.Output.Length;
            node.ExtraArguments.Clear();
            node.Start();
            await node.WaitReadyAsync(Patience);
            Assert.DoesNotContain("--unsafe-no-fsync", node.Output[from..], StringComparison.Ordinal); // not kept
            using BackboneClient again = new(node.Endpoint);
            Assert.Equal("v", Assert.Single((await again.GetAsync("k")).Kvs).Value.ToStringUtf8()); // the clean stop lost nothing
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task AClusterMemberRefusesIt()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "bb-nofsync-init-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Tool.Result refused = await Tool.RunAsync(NodeProcess.Script(),
                ["node", "--init", "--name", "n1", "--data-dir", dataDir, "--listen-client", $"127.0.0.1:{FreePort.Next()}",
                    "--listen-peer", $"127.0.0.1:{FreePort.Next()}", "--no-agent", "--unsafe-no-fsync"],
                timeout: Patience);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("--unsafe-no-fsync applies to a standalone node only", refused.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }
}
