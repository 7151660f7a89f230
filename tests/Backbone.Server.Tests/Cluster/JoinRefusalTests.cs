using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// Joins that must be refused, each with an operator-readable error and a non-zero exit, and none
/// disturbing the cluster (a one-manager cluster, to keep the test short).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class JoinRefusalTests(ITestOutputHelper output)
{
    /// <summary>Past the CLI's own join deadline (60 s), so a hang shows as a timeout, not a pass.</summary>
    private static readonly TimeSpan JoinerTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task MalformedTokensAreRefused()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1, "bbrefuse");
        (string Token, string Why)[] malformed =
        [
            (cluster.Token[..^5], "the join token's secret is malformed"), // cut when copied
            (cluster.Token.Replace("BBTKN-1-", "BBTKN-1-zz", StringComparison.Ordinal), "the join token is malformed"),
            ("SWMTKN-1-" + cluster.Token["BBTKN-1-".Length..], "a join token starts with BBTKN-1-"), // Docker's token by habit
        ];
        foreach ((string token, string why) in malformed)
        {
            Tool.Result joiner = await JoinAsync(cluster, cluster[0].ClientEndpoint, token);
            AssertRefused(joiner, why);
        }

        await AssertUnaffectedAsync(cluster);
    }

    [Fact]
    public async Task TokenWithAWrongSecretIsRefused()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1, "bbrefuse");
        string wrongSecret = cluster.Token[..^25] + new string('a', 25);
        Tool.Result joiner = await JoinAsync(cluster, cluster[0].ClientEndpoint, wrongSecret);
        AssertRefused(joiner, "join refused: invalid join token");
        await AssertUnaffectedAsync(cluster);
    }

    [Fact]
    public async Task TokenOfAnotherClusterIsRefused()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1, "bbrefuse");
        await using TestCluster other = await TestCluster.StartAsync(1, "bbother");
        Tool.Result joiner = await JoinAsync(cluster, cluster[0].ClientEndpoint, other.Token);
        AssertRefused(joiner, "join refused: the join token belongs to another cluster");
        await AssertUnaffectedAsync(cluster);
    }

    /// <summary>An easy mistake: the manager's peer (Raft) port instead of its client port.</summary>
    [Fact]
    public async Task JoiningThroughAPeerPortSaysToUseTheClientAddress()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(1, "bbrefuse");
        Tool.Result joiner = await JoinAsync(cluster, cluster[0].PeerEndpoint, cluster.Token);
        AssertRefused(joiner, "client address");
        await AssertUnaffectedAsync(cluster);
    }

    private async Task<Tool.Result> JoinAsync(TestCluster cluster, string via, string token)
    {
        string dataDir = Path.Combine(cluster.Root, "refused-" + Guid.NewGuid().ToString("N")[..8]);
        Tool.Result result = await Tool.RunAsync(NodeProcess.Script(),
        [
            "node", "--join", via, "--token", token, "--name", "intruder", "--data-dir", dataDir,
            "--listen-client", $"127.0.0.1:{FreePort.Next()}", "--listen-peer", $"127.0.0.1:{FreePort.Next()}",
            "--election-timeout-ms", $"{TestCluster.ElectionTimeoutMs}",
        ], timeout: JoinerTimeout);
        output.WriteLine($"join via {via}: exit {result.ExitCode}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");
        return result;
    }

    /// <summary>A non-zero exit, one "Error:" line on stderr that says <paramref name="why"/>, and no "serving".</summary>
    private static void AssertRefused(Tool.Result joiner, string why)
    {
        Assert.NotEqual(0, joiner.ExitCode);
        Assert.DoesNotContain("serving the etcd v3 API", joiner.Stdout, StringComparison.Ordinal);
        string? error = joiner.Stderr.Split('\n').FirstOrDefault(l => l.StartsWith("Error:", StringComparison.Ordinal));
        Assert.True(error is not null, "no 'Error:' line on stderr:\n" + joiner.Stderr);
        Assert.True(error.Contains(why, StringComparison.Ordinal), $"the error should say \"{why}\"; it says:\n{error}");
    }

    /// <summary>The cluster still takes writes and reads, and still has exactly its one member.</summary>
    private static async Task AssertUnaffectedAsync(TestCluster cluster)
    {
        string key = "refusal/" + Guid.NewGuid().ToString("N")[..8];
        PutResponse put = await cluster.Kv(0).PutAsync(
            new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8("still fine") },
            deadline: DateTime.UtcNow + TestCluster.CallTimeout);
        RangeResponse got = await cluster.Kv(0).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: DateTime.UtcNow + TestCluster.CallTimeout);
        Assert.Equal("still fine", Assert.Single(got.Kvs).Value.ToStringUtf8());
        Assert.Equal(put.Header.Revision, got.Kvs[0].ModRevision);
        await ClusterAssert.MemberListIsCompleteAsync(cluster);
    }
}
