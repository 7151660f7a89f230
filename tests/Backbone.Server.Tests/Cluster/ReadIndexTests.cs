using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// Linearizable reads without log entries: once the leader has committed an entry of its term, a
/// read index is one replication round that confirms its leadership. A deposed leader must still
/// never answer from its own, older state.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadIndexTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task LinearizableReadsAndReadOnlyTxnsAppendNoLogEntries()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbrindex");
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        int follower = (leader + 1) % 3;
        ByteString key = ByteString.CopyFromUtf8("rindex/k");
        await cluster.Kv(leader).PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("v") }, deadline: Deadline());

        long indexBefore = (long)(await cluster.StatusAsync(leader)).RaftIndex;
        const int Reads = 40;
        for (int i = 0; i < Reads; i++)
        {
            // Sequential, through the leader and a follower: each read needs its own confirmation.
            RangeResponse got = await cluster.Kv(i % 2 == 0 ? leader : follower).RangeAsync(new RangeRequest { Key = key }, deadline: Deadline());
            Assert.Equal("v", Assert.Single(got.Kvs).Value.ToStringUtf8());
        }

        long grew = (long)(await cluster.StatusAsync(leader)).RaftIndex - indexBefore;
        output.WriteLine($"{Reads} linearizable reads: the log grew by {grew} entries");
        // A few entries may come from the members' own housekeeping; one per read would be 40.
        Assert.True(grew < Reads / 4, $"the log grew by {grew} entries over {Reads} linearizable reads: reads append fences again\n{cluster.Logs()}");

        // Txns that only read are reads too (as in etcd), and as linearizable: each sees the value
        // just written through the other member.
        indexBefore = (long)(await cluster.StatusAsync(leader)).RaftIndex;
        for (int i = 0; i < Reads; i++)
        {
            string value = $"v{i}";
            await cluster.Kv(i % 2 == 0 ? follower : leader).PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(value) }, deadline: Deadline());
            TxnResponse txn = await cluster.Kv(i % 2 == 0 ? leader : follower).TxnAsync(new TxnRequest
            {
                Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = ByteString.CopyFromUtf8(value) } },
                Success = { new RequestOp { RequestRange = new RangeRequest { Key = key } } },
            }, deadline: Deadline());
            Assert.True(txn.Succeeded, $"a read-only txn did not see {value}, written just before through the other member");
            Assert.Equal(value, Assert.Single(txn.Responses.Single().ResponseRange.Kvs).Value.ToStringUtf8());
        }

        grew = (long)(await cluster.StatusAsync(leader)).RaftIndex - indexBefore;
        output.WriteLine($"{Reads} puts, each followed by a read-only txn: the log grew by {grew} entries");
        Assert.True(grew < Reads + Reads / 4, $"the log grew by {grew} entries over {Reads} puts and {Reads} read-only txns: those txns are logged again\n{cluster.Logs()}");
    }

    [Fact]
    public async Task ConcurrentReadsOnTheLeaderUseItsLease()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bblease", memberFlags: ["--metrics-addr", "127.0.0.1:0"]);
        using var http = new HttpClient { Timeout = CallTimeout };
        ByteString key = ByteString.CopyFromUtf8("lease/k");
        for (int attempt = 1; ; attempt++)
        {
            int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            string url = await cluster[leader].MetricsUrlAsync(TimeSpan.FromSeconds(10));
            await cluster.Kv(leader).PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("v") }, deadline: Deadline());
            double before = await LeasedAsync(http, url);

            // Eight readers back to back for a while: each round that confirms a read lets the
            // leader answer the reads of the next 150 ms from its lease.
            using CancellationTokenSource stop = new(TimeSpan.FromSeconds(2));
            int[] done = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                int n = 0;
                while (!stop.IsCancellationRequested)
                {
                    RangeResponse got = await cluster.Kv(leader).RangeAsync(new RangeRequest { Key = key }, deadline: Deadline());
                    Assert.Equal("v", Assert.Single(got.Kvs).Value.ToStringUtf8());
                    n++;
                }

                return n;
            }));

            double leased = await LeasedAsync(http, url) - before;
            output.WriteLine($"{done.Sum()} linearizable reads on the leader {cluster[leader].Name}, {leased} answered from its lease");
            if (await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30)) != leader && attempt < 3)
            {
                output.WriteLine("leadership moved during the reads (a busy machine): again");
                continue;
            }

            Assert.True(leased > done.Sum() / 4, $"only {leased} of {done.Sum()} reads were answered from the lease\n{cluster.Logs()}");
            return;
        }
    }

    [Fact]
    public async Task FollowerReadsWithNoWritesBetweenForceNoRounds()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbfread", memberFlags: ["--metrics-addr", "127.0.0.1:0"]);
        using var http = new HttpClient { Timeout = CallTimeout };
        ByteString key = ByteString.CopyFromUtf8("fread/k");
        for (int attempt = 1; ; attempt++)
        {
            int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            int follower = (leader + 1) % 3;
            string url = await cluster[leader].MetricsUrlAsync(TimeSpan.FromSeconds(10));
            await cluster.Kv(leader).PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("v") }, deadline: Deadline());
            await cluster.Kv(follower).RangeAsync(new RangeRequest { Key = key }, deadline: Deadline()); // may need a round: the follower may not know the put committed yet
            double before = await MemberCounters.ReadAsync(http, url, "backbone_raft_follower_read_rounds_total");

            const int Reads = 40;
            for (int i = 0; i < Reads; i++)
            {
                RangeResponse got = await cluster.Kv(follower).RangeAsync(new RangeRequest { Key = key }, deadline: Deadline());
                Assert.Equal("v", Assert.Single(got.Kvs).Value.ToStringUtf8());
            }

            double rounds = await MemberCounters.ReadAsync(http, url, "backbone_raft_follower_read_rounds_total") - before;
            output.WriteLine($"{Reads} linearizable reads on the follower {cluster[follower].Name}: the leader {cluster[leader].Name} forced {rounds} rounds");
            if (await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30)) != leader && attempt < 3)
            {
                output.WriteLine("leadership moved during the reads (a busy machine): again");
                continue;
            }

            // The follower already knows the commit index, so its read indexes need no round of
            // their own (a housekeeping write of the members' own between two reads may cost
            // one). One per read would be 40.
            Assert.True(rounds < Reads / 4, $"the leader forced {rounds} rounds for {Reads} follower reads with no write between them\n{cluster.Logs()}");
            return;
        }
    }

    [Fact]
    public async Task FollowerReadIndexesTravelOnThePeerStreamAcrossALeaderChange()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbpstream", memberFlags: ["--metrics-addr", "127.0.0.1:0"]);
        using var http = new HttpClient { Timeout = CallTimeout };
        ByteString key = ByteString.CopyFromUtf8("pstream/k");
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        foreach (string value in new[] { "before", "after" })
        {
            await cluster.Kv(leader).PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(value) }, deadline: Deadline());
            int follower = cluster.Serving.First(i => i != leader);
            (double streamed, double called) = await MemberCounters.PeerReadIndexesAsync(http, cluster[follower]);

            const int Reads = 20;
            for (int i = 0; i < Reads; i++)
            {
                // Sequential: each read asks the leader for an index of its own.
                RangeResponse got = await cluster.Kv(follower).RangeAsync(new RangeRequest { Key = key }, deadline: Deadline());
                Assert.Equal(value, Assert.Single(got.Kvs).Value.ToStringUtf8());
            }

            (double streamedAfter, double calledAfter) = await MemberCounters.PeerReadIndexesAsync(http, cluster[follower]);
            output.WriteLine($"{Reads} linearizable reads on {cluster[follower].Name} (leader {cluster[leader].Name}): "
                + $"{streamedAfter - streamed} read indexes on the peer stream, {calledAfter - called} by calls");
            Assert.True(streamedAfter - streamed >= Reads, $"only {streamedAfter - streamed} of {Reads} read indexes came over the peer stream\n{cluster.Logs()}");
            Assert.Equal(called, calledAfter); // the leader knows the stream: no unary call

            if (value == "before")
            {
                // The follower's stream to this leader breaks with it; its next reads open one to the next.
                cluster[leader].Kill();
                leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            }
        }
    }

    private static Task<double> LeasedAsync(HttpClient http, string url) => MemberCounters.ReadAsync(http, url, "backbone_raft_leased_read_indexes_total");

    [Fact]
    public async Task ThawedLeaderServesNoStaleRead()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbthaw");
        int leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        ByteString key = ByteString.CopyFromUtf8("thaw/k");
        await cluster.Kv(leader).PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("old") }, deadline: Deadline());
        // A linearizable read first: the leader has then served reads by confirmation rounds, the
        // path a thawed leader must not answer from.
        await cluster.Kv(leader).RangeAsync(new RangeRequest { Key = key }, deadline: Deadline());

        cluster[leader].Pause();
        int interim;
        try
        {
            interim = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(15));
            await cluster.Kv(interim).PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("new") }, deadline: Deadline());

            // Reads sent to the frozen leader wait in its socket; it takes them up the moment it thaws,
            // before or while it learns that it was deposed.
            Task<string>[] reads = [.. Enumerable.Range(0, 8).Select(_ => ReadAsync(cluster.Kv(leader), key))];
            await Task.Delay(200);
            cluster[leader].Resume();
            string[] answers = await Task.WhenAll(reads);
            output.WriteLine($"{cluster[interim].Name} took over; the thawed {cluster[leader].Name} answered: {string.Join(", ", answers)}");
            Assert.DoesNotContain("old", answers);
            Assert.Contains("new", answers);
        }
        finally
        {
            if (cluster[leader].State == ClusterMember.RunState.Paused)
            {
                cluster[leader].Resume(); // a failure above must not leave it frozen for the disposal
            }
        }
    }

    /// <summary>The value a linearizable get returns, or the error's status code when it fails (an error is no stale read).</summary>
    private static async Task<string> ReadAsync(KV.KVClient kv, ByteString key)
    {
        try
        {
            RangeResponse got = await kv.RangeAsync(new RangeRequest { Key = key }, deadline: Deadline());
            return got.Kvs.Count == 1 ? got.Kvs[0].Value.ToStringUtf8() : "(absent)";
        }
        catch (RpcException e)
        {
            return $"error {e.StatusCode}";
        }
    }

    private static DateTime Deadline() => DateTime.UtcNow + CallTimeout;
}
