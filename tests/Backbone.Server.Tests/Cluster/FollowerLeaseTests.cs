using System.Diagnostics;
using System.Text.RegularExpressions;
using Backbone.Server.Tests.Support;
using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// A lease used only through a follower, with etcdctl as the client: granted there, a key put on
/// it there, and kept alive there (the follower passes each renewal to the leader, whose clock
/// alone expires leases). The key outlives the TTL several times over while renewals flow, and
/// goes once they stop.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class FollowerLeaseTests(ITestOutputHelper output)
{
    private const int Ttl = 3;

    [Fact]
    public async Task LeaseKeptAliveThroughAFollowerOutlivesItsTtlAndExpiresWhenRenewalsStop()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, "bbfollease");
        int leader = await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(30));
        int follower = Enumerable.Range(0, 3).First(i => i != leader);
        string via = cluster[follower].ClientEndpoint;
        const string key = "lease/through-follower";

        Tool.Result grant = await Etcdctl(via, "lease", "grant", $"{Ttl}");
        Match granted = Granted().Match(grant.Stdout);
        Assert.True(grant.ExitCode == 0 && granted.Success, $"lease grant through the follower: {grant.All}");
        Stopwatch sinceGrant = Stopwatch.StartNew();
        string id = granted.Groups[1].Value;
        long leaseId = Convert.ToInt64(id, 16);
        Tool.Result put = await Etcdctl(via, "put", key, "alive", $"--lease={id}");
        Assert.True(put.ExitCode == 0 && put.Stdout == "OK\n", $"put on the lease through the follower: {put.All}");

        // etcdctl renews every TTL/3 through the follower; meanwhile the key is read (linearizably,
        // at the leader) again and again: it must be there every time, well past 2 x TTL.
        List<string> misses = [];
        int reads = 0;
        using (StreamingProcess keepAlive = new(Tool.Require("etcdctl", "etcd-client"),
            ["--endpoints", via, "lease", "keep-alive", id], new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }))
        {
            Task<StreamingProcess.Ending> renewing = keepAlive.RunUntilAsync(
                printed => KeptAlive().Count(printed) >= 2 * Ttl && sinceGrant.Elapsed > TimeSpan.FromSeconds((2 * Ttl) + 1),
                timeout: TimeSpan.FromSeconds(30));
            while (!renewing.IsCompleted)
            {
                RangeResponse got = await cluster.Kv(leader).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: DateTime.UtcNow + TestCluster.CallTimeout);
                reads++;
                if (got.Kvs.Count != 1 || got.Kvs[0].Lease != leaseId)
                {
                    misses.Add($"{sinceGrant.Elapsed.TotalSeconds:0.0} s after the grant: {got}");
                }

                await Task.Delay(200);
            }

            StreamingProcess.Ending ending = await renewing;
            output.WriteLine($"etcdctl lease keep-alive ({ending}, after {sinceGrant.Elapsed.TotalSeconds:0.0} s):\n{keepAlive.Stdout}{keepAlive.Stderr}");
            Assert.True(ending == StreamingProcess.Ending.ConditionMet,
                $"etcdctl lease keep-alive through the follower ended {ending}:\n{keepAlive.Stdout}{keepAlive.Stderr}\n{cluster.Logs()}");
            Assert.DoesNotContain("expired or revoked", keepAlive.Stdout, StringComparison.Ordinal);
        }

        Assert.True(misses.Count == 0, $"the key on the kept-alive lease was missing in {misses.Count} of {reads} reads:\n{string.Join('\n', misses)}");
        Assert.True(sinceGrant.Elapsed > TimeSpan.FromSeconds(2 * Ttl));

        // The key is still on the lease when renewals stop (the last one was at most TTL/3 ago) ...
        LeaseTimeToLiveResponse left = await new Lease.LeaseClient(cluster.Channel(follower))
            .LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = leaseId, Keys = true }, deadline: DateTime.UtcNow + TestCluster.CallTimeout);
        Assert.True(left.TTL is > 0 and <= Ttl && left.GrantedTTL == Ttl, $"time-to-live through the follower once renewals stopped: {left}");
        Assert.Equal(key, Assert.Single(left.Keys).ToStringUtf8());

        // ... and gone, on every member, once the lease expires.
        await Poll.UntilAsync(async () =>
        {
            foreach (int member in cluster.Serving)
            {
                RangeResponse got = await cluster.Kv(member).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: DateTime.UtcNow + TestCluster.CallTimeout);
                if (got.Kvs.Count != 0)
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(20), () => $"the key on lease {id} is still there {sinceGrant.Elapsed.TotalSeconds:0} s after the grant, renewals stopped\n{cluster.Logs()}");

        LeaseTimeToLiveResponse expired = await new Lease.LeaseClient(cluster.Channel(follower))
            .LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = leaseId }, deadline: DateTime.UtcNow + TestCluster.CallTimeout);
        Assert.True(expired.TTL == -1, $"the expired lease through the follower: {expired}");
        Tool.Result renewAgain = await Etcdctl(via, "lease", "keep-alive", "--once", id);
        Assert.True(renewAgain.ExitCode != 0, $"renewing the expired lease should fail: {renewAgain.All}");
        output.WriteLine($"{reads} reads while renewals flowed, all found the key; it went once they stopped");
    }

    private async Task<Tool.Result> Etcdctl(string endpoint, params string[] args)
    {
        Tool.Result result = await Tool.EtcdctlAsync(endpoint, null, args);
        output.WriteLine($"$ etcdctl --endpoints {endpoint} {string.Join(' ', args)}   (exit {result.ExitCode})\n{result.Stdout}{result.Stderr}");
        return result;
    }

    [GeneratedRegex(@"\Alease ([0-9a-f]+) granted with TTL\(3s\)\n\z")]
    private static partial Regex Granted();

    [GeneratedRegex(@"^lease [0-9a-f]+ keepalived with TTL\(3\)$", RegexOptions.Multiline)]
    private static partial Regex KeptAlive();
}
