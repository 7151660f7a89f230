using Backbone.Server.Tests.Support;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// <c>backbone node promote|demote</c> and <c>backbone swarm leave</c> end to end, with the real
/// CLI against manager and worker processes: a worker becomes a voter under load and back, a
/// leader steps down to be demoted, removals that would lose quorum are refused, and nodes leave.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RoleChangeTests(ITestOutputHelper output)
{
    private const string Prefix = "roles/";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task WorkerIsPromotedUnderLoadThenDemotedBack()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbpromote");
        int leader = await cluster.WaitForAgreedLeaderAsync(Patience);
        string workerToken = await BackboneCli.JoinTokenAsync(output, cluster[0].ClientEndpoint, "worker");
        ClusterMember worker = await cluster.JoinWorkerAsync(workerToken);
        Assert.Contains(await NodeLsAsync(cluster[leader]), row => row.Name == worker.Name && row.Role == "worker" && row.Status == "reachable");

        await using WriteLoad load = new(cluster, Prefix, writers: 2, route: w => w % 3, callTimeout: TimeSpan.FromSeconds(3),
            pauseBetweenWrites: TimeSpan.FromMilliseconds(20));
        await load.WaitForAcknowledgedAsync(50, Patience);

        // Promote: the worker restarts in place with Raft, catches up and gets a vote.
        Tool.Result promoted = await BackboneCli.RunAsync(output, cluster[1].ClientEndpoint, "node", "promote", worker.Name);
        Assert.True(promoted.ExitCode == 0, promoted.All + "\n" + worker.Tail());
        Assert.Contains($"{worker.Name} is a manager now", promoted.Stdout, StringComparison.Ordinal);
        ulong workerId = MemberIdOf(worker);
        await Poll.UntilAsync(async () => await AnsweringMemberAsync(worker) == workerId, Patience, () => worker.Tail());
        MemberListResponse four = await cluster.ClusterApi(leader).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow + TestCluster.CallTimeout);
        Assert.Equal(4, four.Members.Count);
        Assert.Contains(four.Members, m => m.ID == workerId && m.ClientURLs.Contains(worker.ClientUrl));
        Assert.Contains(await NodeLsAsync(cluster[leader]), row => row.Name == worker.Name && row.Role is "follower" or "leader" && row.RaftIndex > 0);
        Assert.DoesNotContain(await NodeLsAsync(cluster[leader]), row => row.Role is "worker" or "promoting");

        int afterPromotion = load.AcknowledgedCount;
        await load.WaitForAcknowledgedAsync(afterPromotion + 50, Patience);
        await load.StopAsync();

        // As a voter it holds every acknowledged write itself (a serializable read answers from its own store).
        KeySnapshot agreed = await cluster.WaitForSameDataAsync(Prefix, Patience);
        ClusterAssert.AcknowledgedPutsPresent(agreed, load.Acknowledged, cluster.Logs());
        using GrpcChannel toWorker = GrpcChannel.ForAddress(worker.ClientUrl);
        await Poll.UntilAsync(async () => KeySnapshot.From(-1, await new KV.KVClient(toWorker).RangeAsync(KeySnapshot.PrefixRange(Prefix, serializable: true),
            deadline: DateTime.UtcNow + TestCluster.CallTimeout)).SameKeysAs(agreed), Patience, () => worker.Tail());

        // Demote: it loses its vote and restarts as a worker (its store kept aside), still serving by passing calls on.
        Tool.Result demoted = await BackboneCli.RunAsync(output, cluster[2].ClientEndpoint, "node", "demote", worker.Name);
        Assert.True(demoted.ExitCode == 0, demoted.All + "\n" + worker.Tail());
        await Poll.UntilAsync(async () => await AnsweringMemberAsync(worker) != workerId, Patience, () => worker.Tail());
        Assert.Equal(3, (await cluster.ClusterApi(leader).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow + TestCluster.CallTimeout)).Members.Count);
        Assert.Contains(await NodeLsAsync(cluster[leader]), row => row.Name == worker.Name && row.Role == "worker" && row.Status == "reachable");
        Assert.Single(Directory.GetDirectories(worker.DataDir, "former-manager-*"));
        Assert.False(Directory.Exists(Path.Combine(worker.DataDir, "raft")), "a worker should keep no Raft state in use");
        using GrpcChannel toDemoted = GrpcChannel.ForAddress(worker.ClientUrl);
        await new KV.KVClient(toDemoted).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(Prefix + "via-demoted"), Value = ByteString.CopyFromUtf8("ok") },
            deadline: DateTime.UtcNow + TestCluster.CallTimeout);
        Assert.Single((await cluster.Kv(leader).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(Prefix + "via-demoted") })).Kvs);
    }

    [Fact]
    public async Task DemoteRefusesALossOfQuorumAndALeaderStepsDownToBeDemoted()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbdemote");
        int leader = await cluster.WaitForAgreedLeaderAsync(Patience);
        int[] followers = [.. Enumerable.Range(0, 3).Where(i => i != leader)];

        // One follower down: demoting the other would leave 1 of 2 managers reachable.
        cluster[followers[0]].Kill();
        Tool.Result refused = await BackboneCli.RunAsync(output, cluster[leader].ClientEndpoint, "node", "demote", cluster[followers[1]].Name);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("would lose quorum", refused.Stderr, StringComparison.Ordinal);
        await cluster[followers[0]].RestartAsync();
        await cluster.WaitForAgreedLeaderAsync(Patience);
        leader = await cluster.WaitForAgreedLeaderAsync(Patience);

        // The leader itself: it steps down, and the next leader demotes it.
        ClusterMember former = cluster[leader];
        Tool.Result demoted = await BackboneCli.RunAsync(output, former.ClientEndpoint, "node", "demote", former.Name);
        Assert.True(demoted.ExitCode == 0, demoted.All + "\n" + cluster.Logs());
        await Poll.UntilAsync(async () => await AnsweringMemberAsync(former) != former.MemberId, Patience, () => former.Tail());
        int remaining = Enumerable.Range(0, 3).First(i => i != leader);
        MemberListResponse two = await cluster.ClusterApi(remaining).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow + TestCluster.CallTimeout);
        Assert.Equal(2, two.Members.Count);
        Assert.DoesNotContain(two.Members, m => m.ID == former.MemberId);
        await cluster.Kv(remaining).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(Prefix + "after"), Value = ByteString.CopyFromUtf8("ok") },
            deadline: DateTime.UtcNow + TestCluster.CallTimeout);
    }

    [Fact]
    public async Task WorkerAndManagersLeaveUntilTheLastManagerIsRefused()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbleave");
        int leader = await cluster.WaitForAgreedLeaderAsync(Patience);
        ClusterMember worker = await cluster.JoinWorkerAsync(await BackboneCli.JoinTokenAsync(output, cluster[0].ClientEndpoint, "worker"));

        // A worker leaves: it stops, the cluster no longer lists it, and a plain restart is refused with what to do.
        Tool.Result left = await BackboneCli.RunAsync(output, worker.ClientEndpoint, "swarm", "leave");
        Assert.True(left.ExitCode == 0, left.All);
        Assert.Contains("left the cluster", left.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, worker.WaitForExit(Patience));
        Assert.DoesNotContain(await NodeLsAsync(cluster[leader]), row => row.Name == worker.Name);
        InvalidOperationException restart = await Assert.ThrowsAnyAsync<InvalidOperationException>(worker.RestartAsync);
        Assert.Contains("left its cluster", restart.Message, StringComparison.Ordinal);
        Assert.Contains("--join", restart.Message, StringComparison.Ordinal);

        // The leader leaves: it steps down first; two managers remain and take writes.
        ClusterMember first = cluster[leader];
        Tool.Result leaderLeft = await BackboneCli.RunAsync(output, first.ClientEndpoint, "swarm", "leave");
        Assert.True(leaderLeft.ExitCode == 0, leaderLeft.All + "\n" + cluster.Logs());
        Assert.Equal(0, first.WaitForExit(Patience));
        int[] rest = [.. Enumerable.Range(0, 3).Where(i => i != leader)];
        await Poll.UntilAsync(async () => (await cluster.ClusterApi(rest[0]).MemberListAsync(new MemberListRequest(),
            deadline: DateTime.UtcNow + TestCluster.CallTimeout)).Members.Count == 2, Patience, () => cluster.Logs());
        await cluster.Kv(rest[1]).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(Prefix + "two"), Value = ByteString.CopyFromUtf8("ok") },
            deadline: DateTime.UtcNow + TestCluster.CallTimeout);

        // Down to one manager, then the last one cannot leave: it holds the cluster's data.
        Tool.Result second = await BackboneCli.RunAsync(output, cluster[rest[0]].ClientEndpoint, "swarm", "leave");
        Assert.True(second.ExitCode == 0, second.All + "\n" + cluster.Logs());
        Assert.Equal(0, cluster[rest[0]].WaitForExit(Patience));
        Tool.Result last = await BackboneCli.RunAsync(output, cluster[rest[1]].ClientEndpoint, "swarm", "leave");
        Assert.Equal(1, last.ExitCode);
        Assert.Contains("only manager", last.Stderr, StringComparison.Ordinal);
        await cluster.Kv(rest[1]).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(Prefix + "one"), Value = ByteString.CopyFromUtf8("ok") },
            deadline: DateTime.UtcNow + TestCluster.CallTimeout);
    }

    /// <summary>
    /// The member id in the header of a Status answered at <paramref name="node"/>'s client port: a
    /// worker's is the manager's that answered for it. A fresh channel each time: the node restarts
    /// in place, and a channel that saw the port closed backs off for longer than the test waits.
    /// </summary>
    private static async Task<ulong> AnsweringMemberAsync(ClusterMember node)
    {
        using GrpcChannel channel = GrpcChannel.ForAddress(node.ClientUrl);
        return (await new Maintenance.MaintenanceClient(channel).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow + TestCluster.CallTimeout)).Header.MemberId;
    }

    /// <summary>A node's member id from its data directory (a worker's serving line does not print it).</summary>
    private static ulong MemberIdOf(ClusterMember node) =>
        System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(node.DataDir, "member.json"))).RootElement.GetProperty("MemberId").GetUInt64();

    private async Task<IReadOnlyList<BackboneCli.NodeRow>> NodeLsAsync(ClusterMember via) => await BackboneCli.NodeLsJsonAsync(output, via.ClientEndpoint);
}
