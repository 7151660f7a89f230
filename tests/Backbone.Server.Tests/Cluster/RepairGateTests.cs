using System.Globalization;
using System.Text;
using Backbone.Server.Cluster;
using Backbone.Store.Raft;
using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// A member's pending Raft log repair waits until the other managers alone hold, on a quorum,
/// every entry its log holds (<see cref="RepairGate"/>): real member processes, a repair request
/// written as a diverged member writes it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RepairGateTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PendingRepairWaitsWhileTooFewOtherManagersAreUpThenCompletes()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbrepairgate");
        await cluster.WaitForAgreedLeaderAsync(Patience);
        for (int i = 0; i < 20; i++)
        {
            await cluster.Kv(i % 3).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"/gate/{i:D2}"), Value = ByteString.CopyFromUtf8("v") });
        }

        ClusterMember repaired = cluster[2];
        ClusterMember other = cluster[1];
        repaired.Kill();
        other.Kill();
        string raft = Path.Combine(repaired.DataDir, "raft");
        long last = LogRepair.LastEntry(RaftNode.LogDirectory(raft));
        Assert.True(last > 20, $"the member's log should hold the 20 writes, its checkpoint says {last}");
        LogRepair.Request(raft, commitIndex: last, divergedAt: last, reason: "test: a repair written by hand");

        // One other manager of three is up: a cut now could leave a write on fewer than a quorum.
        Task starting = repaired.RestartAsync();
        await Poll.UntilAsync(() => Task.FromResult(repaired.Output.Contains("too few up", StringComparison.Ordinal)), Patience, () => repaired.Tail());
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(starting.IsCompleted, "the member started serving while its repair was not safe:\n" + repaired.Tail());
        Assert.NotNull(LogRepair.Load(raft));

        // The second other manager comes back: a quorum without the member holds its entries.
        await other.RestartAsync();
        await starting.WaitAsync(Patience);
        output.WriteLine(repaired.Tail(12));
        Assert.Contains("cutting this member's log is safe", repaired.Output, StringComparison.Ordinal);
        Assert.Null(LogRepair.Load(raft));
        await cluster.WaitForSameDataAsync("/gate/", Patience);
    }

    [Fact]
    public async Task WaitingMemberNudgesAnIdleClusterUpToItsLastEntry()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbrepairnudge");
        await cluster.WaitForAgreedLeaderAsync(Patience);
        ClusterMember waiting = cluster[2];
        long applied = (long)(await cluster.StatusAsync(0)).RaftAppliedIndex;

        // As if this member's log ran 15 entries ahead of the cluster's (its own lost entries):
        // nothing writes, so only the member's nudges can carry the others there.
        long mustHold = applied + 15;
        using var link = new GrpcPeerLink(new MemberTls(NodeKeys.LoadOrCreate(waiting.DataDir), null));
        var notes = new List<string>();
        await RepairGate.WaitUntilSafeAsync(link, [cluster[0].ClientUrl], waiting.MemberId, waiting.ClientUrl, mustHold, notes.Add,
            new CancellationTokenSource(Patience).Token);
        notes.ForEach(output.WriteLine);

        foreach (int i in new[] { 0, 1 })
        {
            long reached = (long)(await cluster.StatusAsync(i)).RaftAppliedIndex;
            Assert.True(reached >= mustHold, $"member {i} has applied {reached}, below the {mustHold} the gate waited for");
        }

        string key = RepairGate.KeyPrefix + waiting.MemberId.ToString("x16", CultureInfo.InvariantCulture);
        RangeResponse nudge = await cluster.Kv(0).RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(Encoding.UTF8.GetBytes(key)) });
        Assert.Single(nudge.Kvs);
        Assert.Contains($"\"waitingFor\":{mustHold}", nudge.Kvs[0].Value.ToStringUtf8(), StringComparison.Ordinal);
    }
}
