using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// A follower answers a write it forwarded only once it has applied it, and it learns that the
/// write committed from the leader's next AppendEntries. DotNext sends one when an entry is
/// appended or at the heartbeat, so the leader asks for a round after every commit
/// (RaftNode.PropagateCommit); without it each such write waited for the heartbeat.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CommitPropagationTests(ITestOutputHelper output)
{
    // Heartbeats every 1.2 s (a fifth of the lower election timeout): a write that waited for one
    // would overrun the deadline below by far, where one that does not takes milliseconds.
    private const int ElectionTimeoutMs = 6_000;
    private static readonly TimeSpan WriteDeadline = TimeSpan.FromMilliseconds(900);

    [Fact]
    public async Task WritesThroughAFollowerDoNotWaitForTheHeartbeat()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbcommitprop", memberFlags: ["--election-timeout-ms", $"{ElectionTimeoutMs}"]);
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        int follower = (leader + 1) % 3;
        await cluster.Kv(follower).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("prop/warm"), Value = ByteString.CopyFromUtf8("v") },
            deadline: DateTime.UtcNow + TestCluster.CallTimeout); // the first may wait for connections and the leader's first commit in its term

        const int Writes = 20; // without the round after each commit, each waits 0-1.2 s: all 20 under 0.9 s by chance is 0.75^20, 0.3%
        for (int i = 0; i < Writes; i++)
        {
            // Sequential: each is the only write in flight, so no later entry carries its commit.
            PutResponse put = await cluster.Kv(follower).PutAsync(
                new PutRequest { Key = ByteString.CopyFromUtf8($"prop/{i}"), Value = ByteString.CopyFromUtf8("v") },
                deadline: DateTime.UtcNow + WriteDeadline);
            Assert.True(put.Header.Revision > 0);
        }

        output.WriteLine($"{Writes} writes through the follower {cluster[follower].Name}, each within {WriteDeadline.TotalMilliseconds} ms (heartbeat every {ElectionTimeoutMs / 5} ms)");
    }
}
