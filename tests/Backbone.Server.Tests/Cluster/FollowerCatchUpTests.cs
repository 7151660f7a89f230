using System.Diagnostics;
using Etcdserverpb;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// A follower is down while thousands of writes commit without it; restarted under continuing
/// load, it must catch up (the backlog, then the live writes) and end with exactly the leader's
/// data. (With the default checkpoint cadence it catches up from the log; the snapshot-install
/// path under load is open work on issue 3: with --snapshot-count 1000 the leader's writes
/// slowed to ~30/s while the follower was down.)
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FollowerCatchUpTests(ITestOutputHelper output)
{
    private const string Prefix = "catchup/";

    /// <summary>Enough to need more than a few append rounds to catch up; small enough for CI.</summary>
    private const int WritesWhileDown = 5_000;

    [Fact]
    public async Task KilledFollowerCatchesUpWhileWritesContinue()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbcatchup");
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        int[] followers = [.. Enumerable.Range(0, 3).Where(i => i != leader)];
        int down = followers[0];
        int[] up = [leader, followers[1]];

        cluster[down].Kill();
        Stopwatch writing = Stopwatch.StartNew();
        await using WriteLoad load = new(cluster, Prefix, writers: 8, route: w => up[w % up.Length], callTimeout: TimeSpan.FromSeconds(5));
        await load.WaitForAcknowledgedAsync(WritesWhileDown, TimeSpan.FromSeconds(90));
        output.WriteLine($"{load.AcknowledgedCount} puts acknowledged in {writing.Elapsed.TotalSeconds:0.0} s with {cluster[down].Name} down");

        long restartedAt = Stopwatch.GetTimestamp();
        await cluster[down].RestartAsync();
        IReadOnlyList<AcknowledgedPut> backlog = [.. load.Acknowledged.Where(p => p.AckedTicks < restartedAt)];
        long backlogRevision = backlog.Max(p => p.Revision);

        // Caught up while writes go on: its own view reaches the revision of every put acknowledged before it restarted.
        long localRevision = 0;
        await Poll.UntilAsync(async () =>
        {
            RangeRequest count = KeySnapshot.PrefixRange(Prefix, serializable: true);
            count.CountOnly = true;
            RangeResponse local = await cluster.Kv(down).RangeAsync(count, deadline: DateTime.UtcNow + TestCluster.CallTimeout);
            localRevision = local.Header.Revision;
            return localRevision >= backlogRevision;
        }, TimeSpan.FromSeconds(60), () => $"{cluster[down].Name} is at revision {localRevision}, short of {backlogRevision} (the {backlog.Count} puts acknowledged before its restart)\n{cluster.Logs()}");
        TimeSpan catchUp = Stopwatch.GetElapsedTime(restartedAt);
        int atCatchUp = load.AcknowledgedCount;
        await load.WaitForAcknowledgedAsync(atCatchUp + 200, TimeSpan.FromSeconds(30));
        output.WriteLine($"{cluster[down].Name} reached revision {backlogRevision} (a backlog of {backlog.Count} puts) {catchUp.TotalSeconds:0.0} s after its restart; "
            + $"writes went on ({load.AcknowledgedCount - backlog.Count} more)");

        await load.StopAsync();
        KeySnapshot agreed = await cluster.WaitForSameDataAsync(Prefix, TimeSpan.FromSeconds(30));
        ClusterAssert.AcknowledgedPutsPresent(agreed, load.Acknowledged, cluster.Logs());
        KeySnapshot caughtUp = await cluster.SnapshotAsync(down, Prefix, serializable: true);
        KeySnapshot onLeader = await cluster.SnapshotAsync(leader, Prefix, serializable: true);
        Assert.True(caughtUp.SameKeysAs(onLeader), onLeader.DescribeDifference(caughtUp));
    }
}
