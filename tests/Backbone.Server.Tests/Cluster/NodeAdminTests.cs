using System.Globalization;
using Backbone.Server.Tests.Support;
using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// <c>backbone node ls</c> and <c>backbone node rm</c> end to end, with the real CLI against three
/// manager processes: what ls shows of healthy and stopped managers, and which removals rm makes
/// or refuses (the quorum arithmetic itself is unit-tested in QuorumCheckTests).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NodeAdminTests(ITestOutputHelper output)
{
    [Fact]
    public async Task NodeLsListsEveryManagerWithItsRoleAndAStoppedOneAsUnreachable()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbnodels");
        int leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
        int[] followers = [.. Enumerable.Range(0, 3).Where(i => i != leader)];

        // All up: every manager once, reachable, the leader as leader and the others as followers.
        AssertRows(cluster, await BackboneCli.NodeLsTableAsync(output, cluster[leader].ClientEndpoint), leader, stopped: -1, "table, all up");
        AssertRows(cluster, await BackboneCli.NodeLsJsonAsync(output, cluster[leader].ClientEndpoint), leader, stopped: -1, "json, all up");

        // A follower stops: it is still listed (it is still a member), as unreachable. Asked of the
        // other follower, which has not been asked for the member list before.
        int stopped = followers[1];
        cluster[stopped].Kill();
        AssertRows(cluster, await BackboneCli.NodeLsTableAsync(output, cluster[followers[0]].ClientEndpoint), leader, stopped, "table, one stopped");
        AssertRows(cluster, await BackboneCli.NodeLsJsonAsync(output, cluster[followers[0]].ClientEndpoint), leader, stopped, "json, one stopped");
    }

    [Fact]
    public async Task NodeRmRefusesTheLeaderAndALossOfQuorumThenRemovesAStoppedFollower()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbnoderm");
        int leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
        int[] followers = [.. Enumerable.Range(0, 3).Where(i => i != leader)];
        int healthy = followers[0];
        int stopped = followers[1];

        // The leader cannot remove itself (asked through a follower, which passes it on).
        Tool.Result rmLeader = await BackboneCli.RunAsync(output, cluster[healthy].ClientEndpoint, "node", "rm", cluster[leader].Name);
        AssertRefused(rmLeader, $"Error: {cluster[leader].Name} is the leader and cannot remove itself: stop it");

        // A name that is no manager is refused before anything is asked of the leader.
        Tool.Result rmNobody = await BackboneCli.RunAsync(output, cluster[leader].ClientEndpoint, "node", "rm", "nobody");
        AssertRefused(rmNobody, "Error: no manager named or numbered 'nobody'");

        // With one follower stopped, removing the other would leave 1 of 2 managers reachable.
        cluster[stopped].Kill();
        IReadOnlyList<BackboneCli.NodeRow> seen = await BackboneCli.NodeLsTableAsync(output, cluster[leader].ClientEndpoint);
        Assert.Equal("unreachable", seen.Single(r => r.Name == cluster[stopped].Name).Status);
        await WriteAndReadAsync(cluster, [leader, healthy], "one-down"); // the leader has tried to reach the stopped one since
        Tool.Result rmQuorum = await BackboneCli.RunAsync(output, cluster[leader].ClientEndpoint, "node", "rm", cluster[healthy].Name);
        AssertRefused(rmQuorum, "Error: refused, it would lose quorum: afterwards 1 of 2 managers would be reachable, and a quorum needs 2 "
            + $"(unreachable: {cluster[stopped].Name})");
        Assert.Equal(3, (await BackboneCli.NodeLsJsonAsync(output, cluster[leader].ClientEndpoint)).Count);
        await WriteAndReadAsync(cluster, [leader, healthy], "after-refusals");

        // The stopped follower can go, by its id this time, through the healthy follower.
        string stoppedId = cluster[stopped].MemberId.ToString("x", CultureInfo.InvariantCulture);
        Tool.Result rmStopped = await BackboneCli.RunAsync(output, cluster[healthy].ClientEndpoint, "node", "rm", stoppedId);
        Assert.True(rmStopped.ExitCode == 0, $"removing the stopped {cluster[stopped].Name} failed:\n{rmStopped.All}\n{cluster.Logs()}");
        Assert.Equal($"Removed {cluster[stopped].Name} ({cluster[stopped].PeerEndpoint}) from the managers. Stop that node now: it no longer belongs to the cluster.\n",
            rmStopped.Stdout);

        // Two managers left, both listed by both, and the cluster still takes writes through each.
        string[] remaining = [.. new[] { leader, healthy }.Select(i => cluster[i].Name).Order(StringComparer.Ordinal)];
        foreach (int asked in new[] { leader, healthy })
        {
            IReadOnlyList<BackboneCli.NodeRow> rows = await BackboneCli.NodeLsJsonAsync(output, cluster[asked].ClientEndpoint);
            Assert.Equal(remaining, rows.Select(r => r.Name).Order(StringComparer.Ordinal));
            Assert.All(rows, r => Assert.Equal("reachable", r.Status));
            Assert.Single(rows, r => r.Role == "leader");
            MemberListResponse list = await cluster.ClusterApi(asked).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow + TestCluster.CallTimeout);
            Assert.Equal(remaining, list.Members.Select(m => m.Name).Order(StringComparer.Ordinal));
        }

        await WriteAndReadAsync(cluster, [leader, healthy], "after-rm");
    }

    [Fact]
    public async Task NodeRmRemovesAStoppedManagerByNameWhenNoRunningMemberEverReadItsMetadata()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbnoderec");
        int leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
        int stopped = Enumerable.Range(0, 3).Last(i => i != leader);
        int[] survivors = [.. Enumerable.Range(0, 3).Where(i => i != stopped)];

        // Each manager has its replicated record: the first from --init, the others from their join.
        await AssertRecordsAsync(cluster, leader, [0, 1, 2]);

        // It stops, then each survivor restarts (the follower first, so a quorum is back before the
        // leader goes): no running process has read the stopped one's DotNext metadata since.
        cluster[stopped].Kill();
        foreach (int survivor in survivors.OrderBy(i => i == leader))
        {
            cluster[survivor].Kill();
            await cluster[survivor].RestartAsync();
            await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        }

        leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
        int follower = survivors.Single(i => i != leader);

        // Still listed by both, with its id, name and addresses, as unreachable.
        AssertRows(cluster, await BackboneCli.NodeLsJsonAsync(output, cluster[follower].ClientEndpoint), leader, stopped, "json, asked of the restarted follower");
        AssertRows(cluster, await BackboneCli.NodeLsJsonAsync(output, cluster[leader].ClientEndpoint), leader, stopped, "json, asked of the restarted leader");

        // Removed by its name, through the follower (the leader looks it up by id in its own view).
        Tool.Result rm = await BackboneCli.RunAsync(output, cluster[follower].ClientEndpoint, "node", "rm", cluster[stopped].Name);
        Assert.True(rm.ExitCode == 0, $"removing the stopped {cluster[stopped].Name} by name failed:\n{rm.All}\n{cluster.Logs()}");
        Assert.Equal($"Removed {cluster[stopped].Name} ({cluster[stopped].PeerEndpoint}) from the managers. Stop that node now: it no longer belongs to the cluster.\n",
            rm.Stdout);

        // Gone from every list, and its record with it.
        string[] remaining = [.. survivors.Select(i => cluster[i].Name).Order(StringComparer.Ordinal)];
        foreach (int asked in survivors)
        {
            MemberListResponse list = await cluster.ClusterApi(asked).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow + TestCluster.CallTimeout);
            Assert.Equal(remaining, list.Members.Select(m => m.Name).Order(StringComparer.Ordinal));
        }

        await AssertRecordsAsync(cluster, follower, survivors);
        await WriteAndReadAsync(cluster, survivors, "after-rm-by-name");
    }

    /// <summary>Exactly one record under /bb/cluster/members/ per manager in <paramref name="expected"/>, each with its identity, read linearizably through <paramref name="through"/>.</summary>
    private static async Task AssertRecordsAsync(TestCluster cluster, int through, int[] expected)
    {
        RangeResponse found = await cluster.Kv(through).RangeAsync(KeySnapshot.PrefixRange("/bb/cluster/members/", serializable: false),
            deadline: DateTime.UtcNow + TestCluster.CallTimeout);
        Assert.Equal(expected.Select(i => $"/bb/cluster/members/{cluster[i].MemberId:x16}").Order(StringComparer.Ordinal),
            found.Kvs.Select(kv => kv.Key.ToStringUtf8()).Order(StringComparer.Ordinal));
        foreach (Mvccpb.KeyValue kv in found.Kvs)
        {
            Backbone.Server.Cluster.ManagerRecord? record = Backbone.Server.Cluster.ManagerRecord.TryDeserialize(kv.Value.Memory);
            ClusterMember member = cluster[cluster.IndexOf(record?.MemberId ?? 0)];
            Assert.True(record is not null && record.Name == member.Name && record.PeerAddress == member.PeerEndpoint && record.ClientUrl == member.ClientUrl,
                $"{kv.Key.ToStringUtf8()} does not describe {member.Name}");
        }
    }

    /// <summary>
    /// One row per manager of <paramref name="cluster"/> with its id, name, client and peer
    /// address; the stopped one unreachable (role "manager", raft index 0), every other reachable
    /// with a raft index, exactly one of them "leader" (the expected one) and the rest "follower".
    /// </summary>
    private void AssertRows(TestCluster cluster, IReadOnlyList<BackboneCli.NodeRow> rows, int leader, int stopped, string what)
    {
        string listed = string.Join("\n", rows);
        output.WriteLine($"{what}:\n{listed}");
        Assert.True(rows.Count == cluster.Members.Count, $"{what}: {rows.Count} rows for {cluster.Members.Count} managers:\n{listed}");
        for (int i = 0; i < cluster.Members.Count; i++)
        {
            ClusterMember member = cluster[i];
            string id = member.MemberId.ToString("x", CultureInfo.InvariantCulture);
            BackboneCli.NodeRow? row = rows.SingleOrDefault(r => r.Id == id);
            Assert.True(row is not null, $"{what}: no row for {member.Name} ({id}):\n{listed}");
            Assert.Equal(member.Name, row.Name);
            Assert.Equal(member.ClientUrl, row.Client);
            Assert.Equal($"https://{member.PeerEndpoint}", row.Peer);
            if (i == stopped)
            {
                Assert.True(row is { Status: "unreachable", Role: "manager", RaftIndex: 0 }, $"{what}: the stopped {member.Name} shows as {row}");
            }
            else
            {
                Assert.True(row.Status == "reachable" && row.RaftIndex > 0, $"{what}: {member.Name} shows as {row}");
                Assert.True(row.Role == (i == leader ? "leader" : "follower"), $"{what}: {member.Name} should be {(i == leader ? "leader" : "follower")}: {row}");
            }
        }
    }

    /// <summary>A refusal: exit 1, nothing on stdout, one line on stderr that starts with <paramref name="message"/>.</summary>
    private static void AssertRefused(Tool.Result result, string message)
    {
        Assert.True(result.ExitCode == 1, $"expected exit 1, got {result.ExitCode}:\n{result.All}");
        Assert.Equal("", result.Stdout);
        Assert.True(result.Stderr.StartsWith(message, StringComparison.Ordinal) && result.Stderr.Count(c => c == '\n') == 1,
            $"stderr should be one line starting with \"{message}\"; it is:\n{result.Stderr}");
    }

    /// <summary>A put through each of <paramref name="through"/>, each read back linearizably through every one.</summary>
    private static async Task WriteAndReadAsync(TestCluster cluster, int[] through, string step)
    {
        foreach (int writer in through)
        {
            string key = $"nodeadmin/{step}/via-{cluster[writer].Name}";
            PutResponse put = await cluster.Kv(writer).PutAsync(
                new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(step) }, deadline: DateTime.UtcNow + TestCluster.CallTimeout);
            foreach (int reader in through)
            {
                RangeResponse got = await cluster.Kv(reader).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: DateTime.UtcNow + TestCluster.CallTimeout);
                Assert.True(got.Kvs.Count == 1 && got.Kvs[0].ModRevision == put.Header.Revision,
                    $"{step}: {key} (put at revision {put.Header.Revision} through {cluster[writer].Name}) read through {cluster[reader].Name}: {got}");
            }
        }
    }
}
