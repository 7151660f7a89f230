using System.Text.Json;
using Backbone.Server.Tests.Cluster;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Tls;

/// <summary>
/// A cluster whose every client port serves TLS and requires client certificates (--client-ca):
/// the members join over https, call each other there presenting their node certificates (the
/// cluster CA signed them; a follower forwards writes to the leader), advertise https:// client
/// URLs (etcdctl endpoint status --cluster dials them), and a worker passes its clients' calls to
/// the managers over TLS. Restarts with only --data-dir serve TLS again.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientTlsClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestCertificates certs = TestCertificates.Create();

    [Fact]
    public async Task MembersAndAWorkerServeAndForwardOverTlsAndKeepItAcrossRestarts()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbtls", clientTls: certs);
        int leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
        int follower = (leader + 1) % cluster.Members.Count;
        output.WriteLine($"leader {cluster[leader].Name}, writing through follower {cluster[follower].Name}");

        // A write sent to a follower reaches the leader over https (GrpcPeerLink, node certificate).
        Assert.Equal("OK\n", (await EtcdctlAsync(cluster, cluster[follower], "put", "tls/forwarded", "via follower")).Stdout);
        int third = (leader + 2) % cluster.Members.Count;
        Assert.Equal("tls/forwarded\nvia follower\n", (await EtcdctlAsync(cluster, cluster[third], "get", "tls/forwarded")).Stdout);

        // Every member advertises its https:// client URL, and etcdctl reaches each one by it.
        Tool.Result status = await EtcdctlAsync(cluster, cluster[follower], "endpoint", "status", "--cluster", "-w", "json");
        using (JsonDocument json = JsonDocument.Parse(status.Stdout))
        {
            var entries = json.RootElement.EnumerateArray().Select(e => (
                Endpoint: e.GetProperty("Endpoint").GetString()!,
                MemberId: e.GetProperty("Status").GetProperty("header").GetProperty("member_id").GetUInt64(),
                Leader: e.GetProperty("Status").GetProperty("leader").GetUInt64())).ToList();
            Assert.Equal(cluster.Members.Select(m => m.ClientUrl).Order(StringComparer.Ordinal), entries.Select(e => e.Endpoint).Order(StringComparer.Ordinal));
            Assert.All(entries, e => Assert.StartsWith("https://", e.Endpoint, StringComparison.Ordinal));
            Assert.Single(entries, e => e.MemberId == e.Leader);
            Assert.Single(entries.Select(e => e.Leader).Distinct());
        }

        // backbone node ls asks every member for its status over https.
        IReadOnlyList<BackboneCli.NodeRow> rows = await BackboneCli.NodeLsJsonAsync(output, cluster[follower].ClientUrl, certs.ClientFlags());
        Assert.Equal(3, rows.Count);
        Assert.All(rows, row => Assert.True(row.Status == "reachable" && row.Client.StartsWith("https://", StringComparison.Ordinal), $"node ls row: {row}"));

        // A node without --client-ca could not check the managers' certificates when calling them:
        // its join stops once certified, saying what to pass.
        string workerToken = await BackboneCli.JoinTokenAsync(output, cluster[leader].ClientUrl, "worker", certs.ClientFlags());
        Tool.Result untrusting = await Tool.RunAsync(NodeProcess.Script(),
        [
            "node", "--join", cluster[follower].ClientUrl, "--token", workerToken, "--name", "untrusting", "--data-dir", Path.Combine(cluster.Root, "untrusting"),
            "--listen-client", $"127.0.0.1:{FreePort.Next()}",
        ], timeout: ClusterMember.StartTimeout);
        output.WriteLine(untrusting.All);
        Assert.Equal(2, untrusting.ExitCode);
        Assert.Contains("would not trust when it calls the managers: pass --client-ca FILE", untrusting.Stderr, StringComparison.Ordinal);

        // A worker (its own client port TLS too) passes a put to the managers over TLS.
        ClusterMember worker = await cluster.JoinWorkerAsync(workerToken, cluster[follower]);
        Assert.Equal("OK\n", (await EtcdctlAsync(cluster, worker, "put", "tls/worker", "via worker")).Stdout);
        Assert.Equal("tls/worker\nvia worker\n", (await EtcdctlAsync(cluster, cluster[leader], "get", "tls/worker")).Stdout);

        // Restarts with only --data-dir: the worker and a follower serve TLS again, and forward.
        worker.Kill();
        await worker.RestartAsync();
        Assert.Equal("OK\n", (await EtcdctlAsync(cluster, worker, "put", "tls/worker", "after restart")).Stdout);
        cluster[follower].Kill();
        await cluster[follower].RestartAsync();
        Assert.Contains($"serving the etcd v3 API on {cluster[follower].ClientUrl}", cluster[follower].Tail(3), StringComparison.Ordinal);
        Assert.Equal("OK\n", (await EtcdctlAsync(cluster, cluster[follower], "put", "tls/restarted", "follower")).Stdout);
        Assert.Equal("tls/restarted\nfollower\n", (await EtcdctlAsync(cluster, cluster[leader], "get", "tls/restarted")).Stdout);
        await ClusterAssert.MemberListIsCompleteAsync(cluster);
    }

    /// <summary>
    /// Client TLS turned on in a running cleartext cluster, one member at a time (followers, then
    /// the leader), as an operator would: restarts with only --data-dir and the TLS flags. Writes
    /// go through every member at every step (members call each other over http and https
    /// alike), and in the end every member lists every other by its https:// URL, although
    /// DotNext read their old URLs before they restarted.
    /// </summary>
    [Fact]
    public async Task TurningTlsOnMemberByMemberKeepsWritesFlowingAndEndsWithHttpsUrlsEverywhere()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbtlsroll");
        int leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
        int[] order = [(leader + 1) % 3, (leader + 2) % 3, leader];
        await WriteThroughEveryMemberAsync(cluster, "cleartext");

        foreach (int i in order)
        {
            ClusterMember member = cluster[i];
            member.Kill();
            member.ClientTls = true;
            await member.StartAsync(["--data-dir", member.DataDir, .. certs.NodeFlags()]);
            Assert.Contains($"client URL is now {member.ClientUrl}", member.Tail(5), StringComparison.Ordinal);
            await WriteThroughEveryMemberAsync(cluster, $"{member.Name}-on");
        }

        // Each member's listing catches up with the URLs the others advertise since their restarts.
        foreach (ClusterMember member in cluster.Members)
        {
            await Poll.UntilAsync(async () =>
            {
                Tool.Result status = await Tool.EtcdctlAsync(member.ClientUrl, null, [.. certs.ClientFlags(), "endpoint", "status", "--cluster", "-w", "json"]);
                return status.ExitCode == 0 && cluster.Members.All(m => status.Stdout.Contains($"\"Endpoint\":\"{m.ClientUrl}\"", StringComparison.Ordinal));
            }, TimeSpan.FromSeconds(30), () => $"endpoint status --cluster through {member.Name} still lists an http:// URL\n{cluster.Logs()}");
        }
    }

    public void Dispose() => certs.Dispose();

    /// <summary>A put through each member (https:// with the client certificate, or http://), read back through the next one.</summary>
    private async Task WriteThroughEveryMemberAsync(TestCluster cluster, string step)
    {
        for (int i = 0; i < cluster.Members.Count; i++)
        {
            ClusterMember writer = cluster[i];
            ClusterMember reader = cluster[(i + 1) % cluster.Members.Count];
            Assert.Equal("OK\n", (await EtcdctlAsync(cluster, writer, "put", $"roll/{step}/{writer.Name}", step)).Stdout);
            Assert.Equal($"roll/{step}/{writer.Name}\n{step}\n", (await EtcdctlAsync(cluster, reader, "get", $"roll/{step}/{writer.Name}")).Stdout);
        }
    }

    private async Task<Tool.Result> EtcdctlAsync(TestCluster cluster, ClusterMember node, params string[] args)
    {
        Tool.Result result = await Tool.EtcdctlAsync(node.ClientUrl, null, [.. node.ClientTls ? certs.ClientFlags() : [], .. args]);
        output.WriteLine($"$ etcdctl --endpoints {node.ClientUrl} {string.Join(' ', args)}   (exit {result.ExitCode})\n{result.All}");
        Assert.True(result.ExitCode == 0, $"etcdctl {string.Join(' ', args)} via {node.Name} failed:\n{result.All}\n{cluster.Logs()}");
        return result;
    }
}
