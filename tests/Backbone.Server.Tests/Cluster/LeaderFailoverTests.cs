using System.Diagnostics;
using Etcdserverpb;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// The leader fails under a write load sent through the followers: killed (SIGKILL), or frozen
/// (SIGSTOP) and thawed. Writes must resume under a new leader, every acknowledged write must
/// survive at its revision on every member, and the old leader must come back without diverging.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LeaderFailoverTests(ITestOutputHelper output)
{
    /// <summary>Liveness bound, not a benchmark: elections take ~0.3-0.6 s at a 300 ms election timeout.</summary>
    private static readonly TimeSpan MaxWriteGap = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan PauseLength = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task WritesResumeAfterTheLeaderIsKilledAndItCatchesUpOnRestart()
    {
        const string prefix = "failover/";
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbfailover", memberFlags: ["--metrics-addr", "127.0.0.1:0"]);
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        int[] followers = [.. Enumerable.Range(0, 3).Where(i => i != leader)];
        await using WriteLoad load = new(cluster, prefix, writers: 4, route: w => followers[w % followers.Length], callTimeout: TimeSpan.FromSeconds(3));
        await load.WaitForAcknowledgedAsync(200, TimeSpan.FromSeconds(30));

        string before = await cluster.DescribeStatusesAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        double waitsBefore = await WriteBarrierWaitsAsync(http, cluster, followers);
        long killedAt = Stopwatch.GetTimestamp();
        cluster[leader].Kill();
        int beforeKill = load.AcknowledgedCount;

        // The gap: from the kill to the first acknowledgement of a put sent after it.
        AcknowledgedPut? firstAfter = null;
        await Poll.UntilAsync(() =>
        {
            firstAfter = load.Acknowledged.Where(p => p.InvokedTicks > killedAt).MinBy(p => p.AckedTicks);
            return Task.FromResult(firstAfter is not null);
        }, TimeSpan.FromSeconds(30), () => $"no put sent after the kill was acknowledged ({load.Failures} failed attempts)\n{cluster.Logs()}");
        TimeSpan gap = Stopwatch.GetElapsedTime(killedAt, firstAfter!.AckedTicks);
        output.WriteLine($"killed leader {cluster[leader].Name} after {beforeKill} acknowledged puts; first put after it acknowledged {gap.TotalMilliseconds:0} ms later "
            + $"(through {cluster[firstAfter.Member].Name} at revision {firstAfter.Revision})\nbefore the kill: {before}\nafter: {await cluster.DescribeStatusesAsync()}");
        Assert.True(gap < MaxWriteGap, $"writes resumed {gap.TotalSeconds:0.0} s after the leader was killed (bound {MaxWriteGap.TotalSeconds} s)\n{cluster.Logs()}");

        await load.WaitForAcknowledgedAsync(load.AcknowledgedCount + 200, TimeSpan.FromSeconds(30));
        await load.StopAsync();
        int newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(leader, newLeader);

        // Both survivors held puts through the election. The winner's, and the other's forwards
        // to it, reach it before its write barrier commits: DotNext's first AppendEntries of a term
        // always misses, so that takes until the next heartbeat (60 ms here). They must wait for
        // it, not be refused and retried after a back-off pause. Summed over the survivors: the
        // leader named now may be a later winner than the one that took the load.
        double waits = await WriteBarrierWaitsAsync(http, cluster, followers) - waitsBefore;
        output.WriteLine($"calls that waited for a new leader's write barrier: {waits}");
        Assert.True(waits > 0, $"no call waited for the new leader's write barrier\n{cluster.Logs()}");

        KeySnapshot survivors = await cluster.WaitForSameDataAsync(prefix, TimeSpan.FromSeconds(15));
        ClusterAssert.AcknowledgedPutsPresent(survivors, load.Acknowledged, cluster.Logs());

        await cluster[leader].RestartAsync();
        KeySnapshot all = await cluster.WaitForSameDataAsync(prefix, TimeSpan.FromSeconds(30));
        Assert.True(all.SameKeysAs(survivors), survivors.DescribeDifference(all));
        KeySnapshot restarted = await cluster.SnapshotAsync(leader, prefix, serializable: true);
        Assert.True(restarted.SameKeysAs(survivors), survivors.DescribeDifference(restarted));
        output.WriteLine($"restarted {cluster[leader].Name} caught up: {restarted.Keys.Count} keys, {load.AcknowledgedCount} acknowledged, {load.Failures} failed attempts");
    }

    /// <summary>Summed over <paramref name="members"/>: the leader named after the load stops may be a later winner than the one that took it.</summary>
    private static async Task<double> WriteBarrierWaitsAsync(HttpClient http, TestCluster cluster, int[] members)
    {
        double sum = 0;
        foreach (int member in members)
        {
            sum += await MemberCounters.ReadAsync(http, cluster[member], "backbone_raft_write_barrier_waits_total");
        }

        return sum;
    }

    [Fact]
    public async Task PausedLeaderComesBackWithoutDivergence()
    {
        const string prefix = "pause/";
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbpause");
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        ulong termBefore = (await cluster.StatusAsync(leader)).RaftTerm;
        int[] followers = [.. Enumerable.Range(0, 3).Where(i => i != leader)];

        // A short deadline: a put forwarded to the frozen leader is abandoned quickly and the writer moves on.
        await using WriteLoad load = new(cluster, prefix, writers: 4, route: w => followers[w % followers.Length], callTimeout: TimeSpan.FromSeconds(1));
        await load.WaitForAcknowledgedAsync(200, TimeSpan.FromSeconds(30));

        // BACKBONE_PAUSE_CYCLES=N repeats the pause N times (a soak: a paused leader once applied
        // entries the next leader overwrote); each cycle pauses whichever member leads then.
        int cycles = int.TryParse(Environment.GetEnvironmentVariable("BACKBONE_PAUSE_CYCLES"), out int n) && n > 0 ? n : 1;
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            if (cycle > 0)
            {
                leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
                termBefore = (await cluster.StatusAsync(leader)).RaftTerm;
                followers = [.. Enumerable.Range(0, 3).Where(i => i != leader)];
                load.Route(w => followers[w % followers.Length]);
            }

            await PauseLeaderOnceAsync(cluster, load, leader, termBefore, cycle);
        }

        await load.StopAsync();

        KeySnapshot agreed = await cluster.WaitForSameDataAsync(prefix, TimeSpan.FromSeconds(15));
        ClusterAssert.AcknowledgedPutsPresent(agreed, load.Acknowledged, cluster.Logs());
        for (int i = 0; i < 3; i++)
        {
            KeySnapshot local = await cluster.SnapshotAsync(i, prefix, serializable: true);
            Assert.True(local.SameKeysAs(agreed), agreed.DescribeDifference(local));
        }
    }

    /// <summary>One pause of the leader: the others elect one of them, the thawed one steps down and follows a later term.</summary>
    private async Task PauseLeaderOnceAsync(TestCluster cluster, WriteLoad load, int leader, ulong termBefore, int cycle)
    {
        long pausedAt = Stopwatch.GetTimestamp();
        cluster[leader].Pause();

        // While it is frozen the other two must elect a leader among themselves; the pause lasts
        // at least PauseLength so that writes go through the new leader for a while.
        int interim = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
        TimeSpan electedAfter = Stopwatch.GetElapsedTime(pausedAt);
        TimeSpan rest = PauseLength - electedAfter;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest); // the fault itself: how long the leader stays frozen
        }

        // Writes go on under the new leader while the old one is still frozen: nothing on the
        // followers (forwards or read index calls stuck on the frozen leader) may hold them up.
        long electedAt = Stopwatch.GetTimestamp();
        await Poll.UntilAsync(
            () => Task.FromResult(load.Acknowledged.Any(p => p.InvokedTicks > electedAt)),
            TimeSpan.FromSeconds(15),
            () => $"no put sent after {cluster[interim].Name} was elected was acknowledged while {cluster[leader].Name} stayed frozen ({load.Failures} failed attempts)\n{cluster.Logs()}");

        long resumedAt = Stopwatch.GetTimestamp();
        cluster[leader].Resume();
        int duringPause = load.Acknowledged.Count(p => p.InvokedTicks > pausedAt && p.AckedTicks < resumedAt);
        output.WriteLine($"cycle {cycle}: paused leader {cluster[leader].Name} for {Stopwatch.GetElapsedTime(pausedAt, resumedAt).TotalSeconds:0.0} s: "
            + $"{cluster[interim].Name} elected after {electedAfter.TotalMilliseconds:0} ms, {duringPause} puts acknowledged meanwhile");

        await load.WaitForAcknowledgedAsync(load.AcknowledgedCount + 200, TimeSpan.FromSeconds(30));

        // Exactly one leader, that everyone (the thawed one too) agrees on, in a later term.
        int leaderAfter = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(15));
        StatusResponse thawed = await cluster.StatusAsync(leader);
        output.WriteLine($"leader after: {cluster[leaderAfter].Name}, term {termBefore} -> {thawed.RaftTerm}");
        Assert.NotEqual(leader, interim);
        Assert.True(thawed.RaftTerm > termBefore, $"term stayed {termBefore} although a new leader was elected\n{cluster.Logs()}");
    }
}
