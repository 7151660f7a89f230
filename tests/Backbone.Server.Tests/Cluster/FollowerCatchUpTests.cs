using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Etcdserverpb;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// A follower is down while thousands of writes commit without it; restarted under continuing
/// load, it must catch up (the backlog, then the live writes) and end with exactly the leader's
/// data. With the default checkpoint cadence it catches up from the log; with
/// <c>--snapshot-count 1000</c> the leader has truncated its log past it, so it must install a
/// snapshot of the leader's store while the writes go on, cycle after cycle.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class FollowerCatchUpTests(ITestOutputHelper output)
{
    /// <summary>Enough to need more than a few append rounds to catch up; small enough for CI.</summary>
    private const int WritesWhileDown = 5_000;

    /// <summary>Follower down / restart cycles of the snapshot test: each one installs a snapshot under load.</summary>
    private const int SnapshotCycles = 3;

    /// <summary>What a member prints once it replaced its store with the leader's snapshot (StoreStateMachine).</summary>
    private const string InstalledNote = "installed a snapshot from the leader";

    /// <summary>What a member prints when replacing its store with the leader's snapshot failed (StoreStateMachine).</summary>
    private const string FailedInstallNote = "installing the leader's snapshot failed";

    [Fact]
    public async Task KilledFollowerCatchesUpWhileWritesContinue()
    {
        const string prefix = "catchup/";
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbcatchup");
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        int[] followers = [.. Enumerable.Range(0, 3).Where(i => i != leader)];
        int down = followers[0];
        int[] up = [leader, followers[1]];

        cluster[down].Kill();
        Stopwatch writing = Stopwatch.StartNew();
        await using WriteLoad load = new(cluster, prefix, writers: 8, route: w => up[w % up.Length], callTimeout: TimeSpan.FromSeconds(5));
        await load.WaitForAcknowledgedAsync(WritesWhileDown, TimeSpan.FromSeconds(90));
        output.WriteLine($"{load.AcknowledgedCount} puts acknowledged in {writing.Elapsed.TotalSeconds:0.0} s with {cluster[down].Name} down");

        long restartedAt = Stopwatch.GetTimestamp();
        await cluster[down].RestartAsync();
        (TimeSpan catchUp, int backlog) = await WaitForCatchUpAsync(cluster, load, down, prefix, restartedAt);
        int atCatchUp = load.AcknowledgedCount;
        await load.WaitForAcknowledgedAsync(atCatchUp + 200, TimeSpan.FromSeconds(30));
        output.WriteLine($"{cluster[down].Name} caught up with a backlog of {backlog} puts {catchUp.TotalSeconds:0.0} s after its restart; "
            + $"writes went on ({load.AcknowledgedCount - backlog} more)");

        await load.StopAsync();
        KeySnapshot agreed = await cluster.WaitForSameDataAsync(prefix, TimeSpan.FromSeconds(30));
        ClusterAssert.AcknowledgedPutsPresent(agreed, load.Acknowledged, cluster.Logs());
        KeySnapshot caughtUp = await cluster.SnapshotAsync(down, prefix, serializable: true);
        KeySnapshot onLeader = await cluster.SnapshotAsync(leader, prefix, serializable: true);
        Assert.True(caughtUp.SameKeysAs(onLeader), onLeader.DescribeDifference(caughtUp));
    }

    /// <summary>
    /// Every member checkpoints (and so takes a Raft snapshot, truncating its log) every 1,000
    /// commands. A follower killed for 5,000 puts is then behind the leader's log and must
    /// install the leader's snapshot when it restarts, while 8 writers keep going. Three cycles,
    /// each killing a follower (alternately), so installs happen under concurrent writes on
    /// different members (DotNext risk (a), "WAL page N doesn't exist on the disk", is feared
    /// there). Every cycle: the writes keep a pace (5,000 puts within 60 s; a full store dump per
    /// InstallSnapshot attempt and a deadlock with the log compaction once made it ~30/s or nil)
    /// while the follower is down, it installs a snapshot, and it reaches every put acknowledged
    /// before its restart. At the end every member holds exactly the same data and answers
    /// linearizable reads (a member whose log or store failed does not), and none printed the WAL
    /// error or a failed install.
    /// </summary>
    [Fact]
    public async Task KilledFollowerInstallsSnapshotUnderLoadRepeatedly()
    {
        const string prefix = "snapcatch/";
        Stopwatch total = Stopwatch.StartNew();
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbsnapcatch", memberFlags: ["--snapshot-count", "1000"]);
        int[] up = [.. Enumerable.Range(0, 3)];
        await using WriteLoad load = new(cluster, prefix, writers: 8, route: w =>
        {
            int[] serving = Volatile.Read(ref up);
            return serving[w % serving.Length];
        }, callTimeout: TimeSpan.FromSeconds(5));

        for (int cycle = 1; cycle <= SnapshotCycles; cycle++)
        {
            int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            int[] followers = [.. Enumerable.Range(0, 3).Where(i => i != leader)];
            int down = followers[cycle % followers.Length];
            int installsBefore = Count(cluster[down].Output, InstalledNote);
            long downLastEntry = (long)(await cluster.StatusAsync(down)).RaftIndex;
            Volatile.Write(ref up, [.. Enumerable.Range(0, 3).Where(i => i != down)]);

            cluster[down].Kill();
            Stopwatch writing = Stopwatch.StartNew();
            int target = load.AcknowledgedCount + WritesWhileDown;
            await load.WaitForAcknowledgedAsync(target, TimeSpan.FromSeconds(60)); // at least 83 puts/s: a stall or the old ~30/s fails it
            double rate = WritesWhileDown / writing.Elapsed.TotalSeconds;
            output.WriteLine($"cycle {cycle}: {WritesWhileDown} puts in {writing.Elapsed.TotalSeconds:0.0} s ({rate:0}/s) with {cluster[down].Name} down");

            // Restarted only once the leader's snapshot is past the member's log: the leader keeps
            // the log after a snapshot it just sent for a few seconds (so a member that installs
            // it can go on from there), and lags its snapshot by one checkpoint.
            await WaitForLeaderSnapshotPastAsync(cluster, downLastEntry, TimeSpan.FromSeconds(30));

            long restartedAt = Stopwatch.GetTimestamp();
            await cluster[down].RestartAsync();
            Volatile.Write(ref up, [.. Enumerable.Range(0, 3)]);
            (TimeSpan catchUp, int backlog) = await WaitForCatchUpAsync(cluster, load, down, prefix, restartedAt);

            // The note comes through the process's output pipe, possibly after the data showed.
            int installs = 0;
            await Poll.UntilAsync(() => Task.FromResult((installs = Count(cluster[down].Output, InstalledNote) - installsBefore) > 0), TimeSpan.FromSeconds(10),
                () => $"cycle {cycle}: {cluster[down].Name} caught up without installing a snapshot (\"{InstalledNote}\"): "
                    + $"the leader's log was expected to be truncated past it\n{cluster.Logs()}");
            output.WriteLine($"cycle {cycle}: {cluster[down].Name} caught up with a backlog of {backlog} puts {catchUp.TotalSeconds:0.0} s after its restart, "
                + $"{installs} snapshot install(s)");

            int atCatchUp = load.AcknowledgedCount;
            await load.WaitForAcknowledgedAsync(atCatchUp + 200, TimeSpan.FromSeconds(30)); // writes go on with every member up
        }

        await load.StopAsync();
        KeySnapshot agreed = await cluster.WaitForSameDataAsync(prefix, TimeSpan.FromSeconds(30));
        ClusterAssert.AcknowledgedPutsPresent(agreed, load.Acknowledged, cluster.Logs());
        for (int member = 0; member < 3; member++)
        {
            // Linearizable: a member whose log or store failed never answers these again. A healthy
            // one answered within the 2 s call deadline here, except once in CI (other test
            // classes running alongside, checkpoints of ~40k keys): retried until one answers, as
            // this checks that it serves, not how fast (the benchmarks measure that).
            // The same for the local read (seen in CI once: 2 s passed while the answer streamed).
            KeySnapshot? committed = null;
            KeySnapshot? local = null;
            int asked = member;
            await Poll.UntilAsync(async () =>
            {
                committed = await cluster.SnapshotAsync(asked, prefix, serializable: false);
                return true;
            }, TimeSpan.FromSeconds(20), () => $"{cluster[asked].Name} answered no linearizable read\n{cluster.Logs()}");
            await Poll.UntilAsync(async () =>
            {
                local = await cluster.SnapshotAsync(asked, prefix, serializable: true);
                return true;
            }, TimeSpan.FromSeconds(20), () => $"{cluster[asked].Name} answered no local read\n{cluster.Logs()}");
            Assert.True(committed!.SameKeysAs(agreed), $"{cluster[member].Name}, linearizable: {agreed.DescribeDifference(committed)}");
            Assert.True(local!.SameKeysAs(agreed), $"{cluster[member].Name}, local: {agreed.DescribeDifference(local)}");
            Match walError = MissingWalPage().Match(cluster[member].Output);
            Assert.False(walError.Success, $"{cluster[member].Name} logged \"{walError.Value}\" (DotNext risk (a))\n{cluster.Logs()}");
            Assert.False(cluster[member].Output.Contains(FailedInstallNote, StringComparison.Ordinal),
                $"{cluster[member].Name} printed \"{FailedInstallNote}\"\n{cluster.Logs()}");
        }

        output.WriteLine($"{load.AcknowledgedCount} puts acknowledged over {SnapshotCycles} cycles, {total.Elapsed.TotalSeconds:0.0} s in all");
    }

    /// <summary>
    /// Waits until <paramref name="down"/>'s own (serializable) view reaches the revision of every
    /// put acknowledged before it restarted, while the writes go on; returns how long that took
    /// and how many puts that backlog held.
    /// </summary>
    private static async Task<(TimeSpan CatchUp, int Backlog)> WaitForCatchUpAsync(TestCluster cluster, WriteLoad load, int down, string prefix, long restartedAt)
    {
        IReadOnlyList<AcknowledgedPut> backlog = [.. load.Acknowledged.Where(p => p.AckedTicks < restartedAt)];
        long backlogRevision = backlog.Max(p => p.Revision);
        long localRevision = 0;
        await Poll.UntilAsync(async () =>
        {
            RangeRequest count = KeySnapshot.PrefixRange(prefix, serializable: true);
            count.CountOnly = true;
            RangeResponse local = await cluster.Kv(down).RangeAsync(count, deadline: DateTime.UtcNow + TestCluster.CallTimeout);
            localRevision = local.Header.Revision;
            return localRevision >= backlogRevision;
        }, TimeSpan.FromSeconds(60), () => $"{cluster[down].Name} is at revision {localRevision}, short of {backlogRevision} (the {backlog.Count} puts acknowledged before its restart)\n{cluster.Logs()}");
        return (Stopwatch.GetElapsedTime(restartedAt), backlog.Count);
    }

    /// <summary>Waits until the current leader's snapshot (raft/snapshot.json: its log is truncated up to it) covers <paramref name="entry"/>.</summary>
    private static async Task WaitForLeaderSnapshotPastAsync(TestCluster cluster, long entry, TimeSpan timeout)
    {
        long snapshot = 0;
        await Poll.UntilAsync(async () =>
        {
            int leader = await cluster.WaitForLeaderAsync(TestCluster.CallTimeout);
            string path = Path.Combine(cluster[leader].DataDir, "raft", "snapshot.json");
            if (!File.Exists(path))
            {
                return false;
            }

            using JsonDocument descriptor = JsonDocument.Parse(await File.ReadAllTextAsync(path));
            snapshot = descriptor.RootElement.GetProperty("Index").GetInt64();
            return snapshot > entry;
        }, timeout, () => $"the leader's snapshot is at entry {snapshot}, not past entry {entry}\n{cluster.Logs()}");
    }

    private static int Count(string text, string note) => Regex.Count(text, Regex.Escape(note));

    /// <summary>DotNext's MissingPageException text (ExceptionMessages.MissingWalPage).</summary>
    [GeneratedRegex(@"WAL page \d+ doesn't exist on the disk")]
    private static partial Regex MissingWalPage();
}
