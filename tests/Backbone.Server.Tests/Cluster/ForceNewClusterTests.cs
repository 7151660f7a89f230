using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// Recovery from a lost quorum: every manager is killed and only one comes back, with
/// <c>--force-new-cluster</c>. It must serve everything the cluster had acknowledged (it held all
/// of it), take writes alone, list itself as the only manager, admit a new manager with the old
/// join token, and restart later from its data directory alone.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ForceNewClusterTests(ITestOutputHelper output)
{
    private const string Prefix = "force/";

    [Fact]
    public async Task SurvivorOfALostQuorumBecomesANewClusterWithAllItsData()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbforce");
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        IReadOnlyList<AcknowledgedPut> acknowledged;
        await using (WriteLoad load = new(cluster, Prefix, writers: 6, route: w => w % 3, callTimeout: TimeSpan.FromSeconds(3)))
        {
            await load.WaitForAcknowledgedAsync(300, TimeSpan.FromSeconds(60));
            await load.StopAsync();
            acknowledged = load.Acknowledged;
        }

        // Every member holds every acknowledged write before the majority is lost: whichever
        // survives must then bring all of them.
        KeySnapshot before = await cluster.WaitForSameDataAsync(Prefix, TimeSpan.FromSeconds(30));
        cluster.KillAll();

        ClusterMember survivor = cluster[1];
        await survivor.StartAsync(["--data-dir", survivor.DataDir, "--force-new-cluster"]);
        Assert.Contains("Recovered:", survivor.Output);
        output.WriteLine($"{survivor.Name} recovered {before.Keys.Count} keys at revision {before.Revision}");

        KeySnapshot recovered = await cluster.SnapshotAsync(1, Prefix, serializable: false);
        ClusterAssert.AcknowledgedPutsPresent(recovered, acknowledged, cluster.Logs());
        Assert.True(recovered.SameKeysAs(before), before.DescribeDifference(recovered));

        PutResponse put = await cluster.Kv(1).PutAsync(
            new PutRequest { Key = ByteString.CopyFromUtf8(Prefix + "after-recovery"), Value = ByteString.CopyFromUtf8("alone") },
            deadline: DateTime.UtcNow + TimeSpan.FromSeconds(10));
        Assert.True(put.Header.Revision > before.Revision);
        MemberListResponse members = await cluster.ClusterApi(1).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow + TestCluster.CallTimeout);
        Assert.Equal([survivor.MemberId], members.Members.Select(m => m.ID));

        // A new manager joins with the token the cluster had, and gets all of the data.
        ClusterMember joined = await cluster.JoinAsync(survivor);
        KeySnapshot agreed = await cluster.WaitForSameDataAsync(Prefix, TimeSpan.FromSeconds(30));
        Assert.Contains(agreed.Keys, key => key.Key == Prefix + "after-recovery");
        ClusterAssert.AcknowledgedPutsPresent(agreed, acknowledged, cluster.Logs());
        output.WriteLine($"{joined.Name} joined the recovered cluster and holds its {agreed.Keys.Count} keys");

        // From now on it is an ordinary member: a restart needs only its data directory.
        survivor.Kill();
        await survivor.RestartAsync();
        await Poll.UntilAsync(async () =>
        {
            _ = await cluster.SnapshotAsync(1, Prefix, serializable: false); // (the old members still count in the helper's majority: not WaitForLeaderAsync)
            return true;
        }, TimeSpan.FromSeconds(30), () => $"{survivor.Name} answered no linearizable read after its restart\n{cluster.Logs()}");
        KeySnapshot afterRestart = await cluster.WaitForSameDataAsync(Prefix, TimeSpan.FromSeconds(30));
        Assert.True(afterRestart.SameKeysAs(agreed), agreed.DescribeDifference(afterRestart));
    }
}
