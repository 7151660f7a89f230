using System.Text.Json;
using Backbone.Server.Tests.Support;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// etcdctl 3.4's <c>endpoint hashkv --cluster</c> and <c>defrag --cluster</c> on three managers:
/// each member hashes its own replica, so equal hashes at equal revisions say the replicas hold
/// the same history; defragmenting every member leaves the data and the hashes as they were.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class EtcdctlClusterMaintenanceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EveryMemberHashesAlikeAndDefragKeepsTheData()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbhashkv");
        int leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
        int follower = (leader + 1) % cluster.Members.Count;
        string via = cluster[follower].ClientEndpoint;

        for (int i = 0; i < 30; i++)
        {
            Tool.Result put = await Tool.EtcdctlAsync(via, null, "put", $"hk/{i % 7}", $"v{i}");
            Assert.True(put.ExitCode == 0, put.All);
        }

        Assert.Equal(0, (await Tool.EtcdctlAsync(via, null, "del", "hk/3")).ExitCode);
        Assert.Equal(0, (await Tool.EtcdctlAsync(via, null, "compact", "20", "--physical")).ExitCode);
        KeySnapshot data = await cluster.WaitForSameDataAsync("hk/", ConvergeTimeout);

        List<MemberHash> before = await WaitForOneHashAsync(cluster, via);
        Assert.All(before, h => Assert.Equal(20, h.CompactRevision));

        Tool.Result defrag = await Tool.EtcdctlAsync(via, null, "defrag", "--cluster");
        output.WriteLine(defrag.All);
        Assert.True(defrag.ExitCode == 0, $"etcdctl defrag --cluster failed:\n{defrag.All}\n{cluster.Logs()}");
        foreach (ClusterMember member in cluster.Members)
        {
            Assert.Contains($"Finished defragmenting etcd member[{member.ClientUrl}]", defrag.Stdout, StringComparison.Ordinal);
        }

        List<MemberHash> after = await WaitForOneHashAsync(cluster, via);
        Assert.Equal(before, after);
        for (int i = 0; i < cluster.Members.Count; i++)
        {
            KeySnapshot local = await cluster.SnapshotAsync(i, "hk/", serializable: true);
            Assert.True(local.SameKeysAs(data), $"member #{i} after defrag: {data.DescribeDifference(local)}");
        }
    }

    /// <summary>What one member answered to <c>endpoint hashkv</c>.</summary>
    private sealed record MemberHash(string Endpoint, long Revision, long CompactRevision, uint Hash);

    /// <summary>
    /// Polls <c>etcdctl endpoint hashkv --cluster</c> until every member answers at the same
    /// revision and compaction point (followers apply a little after the leader), then requires
    /// one hash for all.
    /// </summary>
    private async Task<List<MemberHash>> WaitForOneHashAsync(TestCluster cluster, string via)
    {
        List<MemberHash> last = [];
        string lastOutput = "";
        await Poll.UntilAsync(async () =>
        {
            Tool.Result result = await Tool.EtcdctlAsync(via, null, "endpoint", "hashkv", "--cluster", "-w", "json");
            lastOutput = result.All;
            if (result.ExitCode != 0)
            {
                return false;
            }

            last = Parse(result.Stdout);
            // A compaction does not change the revision: wait for every member to have applied it too.
            return last.Count == cluster.Members.Count
                && last.Select(h => (h.Revision, h.CompactRevision)).Distinct().Count() == 1;
        }, ConvergeTimeout, () => $"members never answered at one revision and compaction point: {lastOutput}\n{cluster.Logs()}");

        output.WriteLine(string.Join('\n', last));
        Assert.Equal(cluster.Members.Select(m => m.ClientUrl).Order(StringComparer.Ordinal), last.Select(h => h.Endpoint).Order(StringComparer.Ordinal));
        Assert.Single(last.Select(h => h.Hash).Distinct());
        return [.. last.OrderBy(h => h.Endpoint, StringComparer.Ordinal)];
    }

    private static List<MemberHash> Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(e =>
        {
            JsonElement hashKv = e.GetProperty("HashKV");
            return new MemberHash(
                e.GetProperty("Endpoint").GetString()!,
                hashKv.GetProperty("header").GetProperty("revision").GetInt64(),
                hashKv.GetProperty("compact_revision").GetInt64(),
                hashKv.GetProperty("hash").GetUInt32());
        })];
    }
}
