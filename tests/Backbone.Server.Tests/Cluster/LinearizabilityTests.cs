using System.Diagnostics;
using Backbone.Chaos.Checkers;
using Backbone.Chaos.History;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// Clients doing random gets, puts and compare-and-sets through random members while the leader
/// is killed and restarted: the recorded history must be linearizable. Replay the clients' random
/// choices and the fault's timing with BACKBONE_TEST_SEED (thread interleavings still differ).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LinearizabilityTests(ITestOutputHelper output)
{
    private const int Clients = 6;
    private const int Keys = 5;
    private static readonly TimeSpan RunLength = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DownTime = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task HistoryWithALeaderKillIsLinearizable()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("BACKBONE_TEST_SEED"), out int s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with BACKBONE_TEST_SEED={seed})");
        Random random = new(seed);
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bblinear");
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));

        // Fresh keys: the checker's registers start absent.
        string run = Guid.NewGuid().ToString("N")[..8];
        string[] keys = [.. Enumerable.Range(0, Keys).Select(k => $"lin/{run}/k{k}")];
        HistoryRecorder recorder = new();
        using CancellationTokenSource stop = new(RunLength);
        Task<int>[] clients = [.. Enumerable.Range(0, Clients).Select(c =>
            new RegisterClient(cluster, recorder, c, keys, new Random(Derive(seed, c))).RunAsync(stop.Token))];

        TimeSpan killAfter = TimeSpan.FromMilliseconds(1_000 + random.Next(1_500));
        await Task.Delay(killAfter); // the fault's timing is part of the seeded schedule
        long killedAt = Stopwatch.GetTimestamp();
        cluster[leader].Kill();
        output.WriteLine($"killed leader {cluster[leader].Name} {killAfter.TotalMilliseconds:0} ms into the run");
        await Task.Delay(DownTime);
        await cluster[leader].RestartAsync();
        output.WriteLine($"restarted {cluster[leader].Name} {Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds:0} ms after the kill");

        int[] calls = await Task.WhenAll(clients);
        KvHistory history = recorder.ToHistory();
        int ok = history.Operations.Count(o => o.Outcome.Kind == OutcomeKind.Ok);
        int okAfterKill = history.Operations.Count(o => o.Outcome.Kind == OutcomeKind.Ok && o.InvokeTicks > killedAt && o.Call.Kind != OperationKind.Get);
        output.WriteLine($"{calls.Sum()} calls: {ok} ok, {history.Operations.Count(o => o.Outcome.Kind == OutcomeKind.Unknown)} unknown; "
            + $"{okAfterKill} acknowledged writes sent after the kill");
        Assert.True(okAfterKill > 0, "no write sent after the leader's kill was acknowledged: the history does not cover the failover\n" + cluster.Logs());

        LinearizabilityResult result = new LinearizabilityChecker().Check(history);
        output.WriteLine(result.Explanation);
        Assert.True(result.IsLinearizable, result.Explanation + "\n" + cluster.Logs());
    }

    /// <summary>A reproducible per-client seed (not HashCode.Combine: that is salted per process).</summary>
    private static int Derive(int seed, int stream) => unchecked((seed * 1_000_003) + stream);
}
