using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>Growing a live cluster: managers join under a light write load and end up with everything.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MembershipTests(ITestOutputHelper output)
{
    private const string Prefix = "grow/";

    [Fact]
    public async Task FourthAndFifthManagersJoinUnderLoadAndAllFiveAgree()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbgrow");
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        await using WriteLoad load = new(cluster, Prefix, writers: 2, route: w => w % 3, callTimeout: TimeSpan.FromSeconds(3),
            pauseBetweenWrites: TimeSpan.FromMilliseconds(20));
        await load.WaitForAcknowledgedAsync(50, TimeSpan.FromSeconds(30));

        // The 4th joins through the first member, the 5th through another (a follower passes the join on).
        ClusterMember fourth = await cluster.JoinAsync(cluster[0]);
        ClusterMember fifth = await cluster.JoinAsync(cluster[2]);
        int afterJoins = load.AcknowledgedCount;
        await load.WaitForAcknowledgedAsync(afterJoins + 50, TimeSpan.FromSeconds(30));
        foreach (int joined in new[] { 3, 4 })
        {
            await cluster.Kv(joined).PutAsync(
                new PutRequest { Key = ByteString.CopyFromUtf8($"{Prefix}via-{cluster[joined].Name}"), Value = ByteString.CopyFromUtf8("joined") },
                deadline: DateTime.UtcNow + TestCluster.CallTimeout);
        }

        await load.StopAsync();
        output.WriteLine($"{fourth.Name} and {fifth.Name} joined; {load.AcknowledgedCount} puts acknowledged, {load.Failures} failed attempts");

        int leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(15));
        KeySnapshot agreed = await cluster.WaitForSameDataAsync(Prefix, TimeSpan.FromSeconds(30));
        ClusterAssert.AcknowledgedPutsPresent(agreed, load.Acknowledged, cluster.Logs());
        foreach (ClusterMember joined in new[] { fourth, fifth })
        {
            Assert.True(agreed.ByKey.TryGetValue($"{Prefix}via-{joined.Name}", out StoredKey put), $"the put through {joined.Name} is missing");
            Assert.Equal("joined", put.Value);
        }

        await ClusterAssert.MemberListIsCompleteAsync(cluster);
        Assert.Equal(5, cluster.Serving.Count());
        output.WriteLine($"all 5 agree: leader {cluster[leader].Name}, {agreed.Keys.Count} keys");
    }
}
