using System.Diagnostics;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// The upgrade docs/cluster.md tells operators to do: one manager at a time, each back before the
/// next, from the last commit whose followers acknowledged before flushing (Raft state version 1)
/// to this tree (version 2: followers flush before they acknowledge). Members refuse appends and
/// votes from a newer version, so while versions are mixed the cluster must keep a leader that a
/// quorum follows, keep taking writes and linearizable reads through every member, and lose no
/// write.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RollingUpgradeTests(ITestOutputHelper output)
{
    private const string Prefix = "upgrade/";

    // Generous: a restarted member's first calls wait for its start-up compilation (the old
    // release is not ready-to-run) and for this test's channel to connect to it again.
    private static readonly TimeSpan PutDeadline = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task ManagersUpgradedOneAtATimeKeepTakingWritesAndLoseNone()
    {
        string? missing = await PreviousRelease.MissingReasonAsync(PreviousRelease.AcknowledgeBeforeFlush);
        Skip.If(missing is not null, missing);
        await using PreviousRelease previous = await PreviousRelease.BuildAsync(PreviousRelease.AcknowledgeBeforeFlush, output);
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbupgrade", memberFlags: ["--metrics-addr", "127.0.0.1:0"], program: previous.Launcher);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        List<AcknowledgedPut> mine = [];
        await PutAndReadThroughEveryMemberAsync(cluster, "v1", mine);

        // Three writers, one per member, throughout; steered off a member while it is replaced.
        await using WriteLoad load = new(cluster, $"{Prefix}load/", writers: 3, route: w => w % 3, callTimeout: TimeSpan.FromSeconds(3));
        await load.WaitForAcknowledgedAsync(20, TimeSpan.FromSeconds(30));

        // Followers first, the leader last: while the leader runs version 1, upgraded followers
        // (older requests are accepted) follow it; once it goes, the two upgraded members elect one.
        int[] order = [.. Enumerable.Range(0, 3).Where(i => i != leader), leader];
        foreach (int member in order)
        {
            int acknowledged = load.AcknowledgedCount;
            int[] others = [.. Enumerable.Range(0, 3).Where(i => i != member)];
            load.Route(w => others[w % others.Length]);
            cluster[member].Kill();
            cluster[member].Program = NodeProcess.Script();
            await cluster[member].RestartAsync();
            load.Route(w => w % 3);
            output.WriteLine($"{cluster[member].Name} restarted on this tree; versions now: "
                + string.Join(", ", cluster.Members.Select(m => $"{m.Name} {(m.Program == previous.Launcher ? 1 : 2)}")));

            await load.WaitForAcknowledgedAsync(acknowledged + 20, TimeSpan.FromSeconds(60));
            int leaderBefore = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            await PutAndReadThroughEveryMemberAsync(cluster, $"after-{cluster[member].Name}", mine);
            await CheckReadIndexTransportAsync(cluster, previous, http, member, leaderBefore);
        }

        await load.StopAsync();
        KeySnapshot agreed = await cluster.WaitForSameDataAsync(Prefix, TimeSpan.FromSeconds(30));
        ClusterAssert.AcknowledgedPutsPresent(agreed, [.. load.Acknowledged, .. mine], cluster.Logs());
        output.WriteLine($"{load.AcknowledgedCount + mine.Count} acknowledged puts on every member at revision {agreed.Revision}; {load.Failures} failed attempts while members restarted");
    }

    /// <summary>
    /// The member just upgraded, when it followed one leader through its reads: a leader of the
    /// older version has no peer stream, so its read indexes came by unary calls; one of this
    /// version answers on the stream. (Its counters start at its restart.)
    /// </summary>
    private async Task CheckReadIndexTransportAsync(TestCluster cluster, PreviousRelease previous, HttpClient http, int member, int leaderBefore)
    {
        int leaderAfter = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        if (leaderBefore != leaderAfter || leaderAfter == member)
        {
            output.WriteLine($"{cluster[member].Name}: leadership moved or is its own ({cluster[leaderBefore].Name} → {cluster[leaderAfter].Name}): no transport to check");
            return;
        }

        (double streamed, double called) = await MemberCounters.PeerReadIndexesAsync(http, cluster[member]);
        bool oldLeader = cluster[leaderAfter].Program == previous.Launcher;
        output.WriteLine($"{cluster[member].Name} follows {cluster[leaderAfter].Name} (version {(oldLeader ? 1 : 2)}): {streamed} read indexes on the stream, {called} by calls");
        // Only "some": before this leader it may have followed another since its restart.
        if (oldLeader)
        {
            Assert.True(called > 0, $"{cluster[member].Name} read through a leader without the stream, yet made no unary call: {streamed} streamed\n{cluster.Logs()}");
        }
        else
        {
            Assert.True(streamed > 0, $"{cluster[member].Name} read through a leader with the stream, yet sent nothing on it: {called} called\n{cluster.Logs()}");
        }
    }

    /// <summary>
    /// One acknowledged put through each member, read back through it, within
    /// <see cref="PutDeadline"/> (the server retries a leader change within a call). A member just
    /// restarted can be refused at first by this test's own channel, still backing off from the
    /// connection the kill broke: such a call (Unavailable, never sent) is tried again with a fresh
    /// key, so only acknowledged keys count.
    /// </summary>
    private static async Task PutAndReadThroughEveryMemberAsync(TestCluster cluster, string step, List<AcknowledgedPut> acknowledged)
    {
        for (int i = 0; i < cluster.Members.Count; i++)
        {
            DateTime deadline = DateTime.UtcNow + PutDeadline;
            for (int attempt = 0; ; attempt++)
            {
                string key = $"{Prefix}{step}/{cluster[i].Name}-{attempt}";
                long invoked = Stopwatch.GetTimestamp();
                try
                {
                    PutResponse put = await cluster.Kv(i).PutAsync(
                        new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(step) }, deadline: deadline);
                    acknowledged.Add(new AcknowledgedPut(key, step, put.Header.Revision, i, invoked, Stopwatch.GetTimestamp()));

                    // A linearizable read back through the same member: on a follower it needs the
                    // leader's read index, over the peer stream or, from a leader of the older
                    // version (which has none), by the unary call.
                    RangeResponse read = await cluster.Kv(i).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: deadline);
                    Assert.Equal(step, Assert.Single(read.Kvs).Value.ToStringUtf8());
                    break;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
        }
    }
}
