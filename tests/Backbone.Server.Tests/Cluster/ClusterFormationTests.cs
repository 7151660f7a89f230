using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// A freshly formed cluster (init, then joins one at a time): a write through any member is
/// visible on every member at the same revision, and every member reports the same leader, term
/// and member list.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterFormationTests(ITestOutputHelper output)
{
    private const string Prefix = "form/";

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public async Task EveryMemberServesTheSameDataAndAgreesOnLeaderAndMembers(int managers)
    {
        await using TestCluster cluster = await TestCluster.StartAsync(managers, "bbform");
        int leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"{managers} managers up, leader {cluster[leader].Name}");

        List<StoredKey> written = [];
        for (int i = 0; i < managers; i++)
        {
            string key = $"{Prefix}via-{cluster[i].Name}";
            string value = $"written through {cluster[i].ClientEndpoint}";
            PutResponse put = await cluster.Kv(i).PutAsync(
                new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) },
                deadline: DateTime.UtcNow + TestCluster.CallTimeout);
            written.Add(new StoredKey(key, value, put.Header.Revision, put.Header.Revision, 1));
        }

        written.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        Assert.Equal(managers, written.Select(w => w.ModRevision).Distinct().Count());

        // Linearizable reads see every acknowledged put at once, whichever member answers.
        for (int i = 0; i < managers; i++)
        {
            KeySnapshot linearizable = await cluster.SnapshotAsync(i, Prefix, serializable: false);
            Assert.Equal(written, linearizable.Keys);
        }

        // Local (serializable) reads get there once each member has applied the entries.
        KeySnapshot agreed = await cluster.WaitForSameDataAsync(Prefix, TimeSpan.FromSeconds(10));
        Assert.Equal(written, agreed.Keys);

        StatusResponse[] statuses = await Task.WhenAll(Enumerable.Range(0, managers).Select(cluster.StatusAsync));
        ulong leaderId = cluster[leader].MemberId;
        for (int i = 0; i < managers; i++)
        {
            Assert.Equal(cluster[i].MemberId, statuses[i].Header.MemberId);
            Assert.True(statuses[i].Leader == leaderId, $"{cluster[i].Name} says leader {statuses[i].Leader:x}, expected {leaderId:x}");
            Assert.Equal(statuses[0].RaftTerm, statuses[i].RaftTerm);
        }

        await ClusterAssert.MemberListIsCompleteAsync(cluster);
    }
}
