using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// The join tokens as <c>backbone swarm join-token manager|worker</c> prints them, and what each
/// admits: the manager token a Raft voter, the worker token a client-only node whose client port
/// passes every call (unary, watch and keep-alive streams) to the managers, and which restarts
/// from its data directory alone.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkerNodeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task JoinTokensFromTheCliAdmitAManagerAndAWorkerThatServesEveryCallAndRestarts()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(2, "bbworker");
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));

        // Both tokens, each asked of a different manager: they are kept in the replicated store.
        string managerToken = await BackboneCli.JoinTokenAsync(output, cluster[1].ClientEndpoint, "manager");
        string workerToken = await BackboneCli.JoinTokenAsync(output, cluster[0].ClientEndpoint, "worker");
        Assert.Equal(cluster.Token, managerToken); // the one --init printed
        Assert.NotEqual(managerToken, workerToken);
        string caDigest = Convert.ToHexStringLower(SHA256.HashData(
            X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(cluster[0].DataDir, "pki", "ca.crt"))).RawData));
        Assert.Equal($"BBTKN-1-{caDigest}-", managerToken[..^25]); // both pin this cluster's CA...
        Assert.Equal($"BBTKN-1-{caDigest}-", workerToken[..^25]); // ...and differ in the secret only
        Assert.Equal(workerToken, await BackboneCli.JoinTokenAsync(output, cluster[1].ClientEndpoint, "worker")); // stable, from any manager

        // The printed manager token admits a third manager (through a manager that may be a follower).
        ClusterMember third = await cluster.JoinAsync(cluster[1], managerToken);
        Assert.Contains("as a manager.", third.Output, StringComparison.Ordinal);
        await cluster.WaitForAgreedLeaderAsync(TimeSpan.FromSeconds(15));
        await ClusterAssert.MemberListIsCompleteAsync(cluster);

        // The printed worker token admits a worker, which is no Raft member.
        ClusterMember worker = await cluster.JoinWorkerAsync(workerToken, cluster[2]);
        output.WriteLine(worker.Output);
        Assert.Contains("as a worker", worker.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(worker.DataDir, "raft", "members.bin")), "a worker should keep no Raft state");
        await ClusterAssert.MemberListIsCompleteAsync(cluster); // still exactly the three managers

        using (GrpcChannel channel = GrpcChannel.ForAddress(worker.ClientUrl))
        {
            // MemberList through the worker's port is the managers' own answer.
            MemberListResponse viaWorker = await new Etcdserverpb.Cluster.ClusterClient(channel)
                .MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow + TestCluster.CallTimeout);
            Assert.Equal(cluster.Members.Select(m => m.MemberId).Order(), viaWorker.Members.Select(m => m.ID).Order());

            await AssertServesThroughAsync(cluster, worker, channel, "first");
        }

        // A restart needs only --data-dir: the worker role and its managers are kept there.
        worker.Kill();
        await worker.RestartAsync();
        using (GrpcChannel channel = GrpcChannel.ForAddress(worker.ClientUrl))
        {
            await AssertServesThroughAsync(cluster, worker, channel, "restarted");
        }

        await ClusterAssert.MemberListIsCompleteAsync(cluster);
    }

    /// <summary>
    /// Through the worker's client port: a put, a linearizable get of it, a watch that sees a put
    /// made on a manager, and a lease granted, attached, kept alive past its TTL, then revoked.
    /// </summary>
    private async Task AssertServesThroughAsync(TestCluster cluster, ClusterMember worker, GrpcChannel channel, string run)
    {
        string prefix = $"worker/{run}/";
        KV.KVClient kv = new(channel);

        // Put and linearizable get, both through the worker; a manager sees the same revision.
        PutResponse put = await kv.PutAsync(Put(prefix + "put", "via worker"), deadline: Deadline());
        RangeResponse got = await kv.RangeAsync(new RangeRequest { Key = Key(prefix + "put"), Serializable = false }, deadline: Deadline());
        Mvccpb.KeyValue read = Assert.Single(got.Kvs);
        Assert.Equal("via worker", read.Value.ToStringUtf8());
        Assert.Equal(put.Header.Revision, read.ModRevision);
        RangeResponse onManager = await cluster.Kv(0).RangeAsync(new RangeRequest { Key = Key(prefix + "put") }, deadline: Deadline());
        Assert.Equal(put.Header.Revision, Assert.Single(onManager.Kvs).ModRevision);

        // A watch opened on the worker sees a put made on a manager.
        using (CancellationTokenSource watchDeadline = new(StreamTimeout))
        {
            using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> watch = new Watch.WatchClient(channel).Watch(cancellationToken: watchDeadline.Token);
            await watch.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = Key(prefix + "watched") } });
            Assert.True(await watch.ResponseStream.MoveNext(watchDeadline.Token), "the watch through the worker ended before it was created");
            Assert.True(watch.ResponseStream.Current.Created, $"first watch response should say created: {watch.ResponseStream.Current}");
            PutResponse managerPut = await cluster.Kv(1).PutAsync(Put(prefix + "watched", "from a manager"), deadline: Deadline());
            List<Mvccpb.Event> events = [];
            while (events.Count == 0)
            {
                Assert.True(await watch.ResponseStream.MoveNext(watchDeadline.Token), "the watch through the worker ended before the event");
                events.AddRange(watch.ResponseStream.Current.Events);
            }

            Mvccpb.Event seen = Assert.Single(events);
            Assert.Equal(Mvccpb.Event.Types.EventType.Put, seen.Type);
            Assert.Equal("from a manager", seen.Kv.Value.ToStringUtf8());
            Assert.Equal(managerPut.Header.Revision, seen.Kv.ModRevision);
            await watch.RequestStream.CompleteAsync();
        }

        // A lease granted through the worker, a key on it, kept alive through the worker past its TTL.
        Lease.LeaseClient lease = new(channel);
        const long ttl = 3;
        LeaseGrantResponse grant = await lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttl }, deadline: Deadline());
        Assert.True(grant.ID != 0 && grant.TTL == ttl, $"lease grant through {worker.Name}: {grant}");
        await kv.PutAsync(Put(prefix + "leased", "alive", grant.ID), deadline: Deadline());
        using (CancellationTokenSource keepAliveDeadline = new(StreamTimeout))
        {
            using AsyncDuplexStreamingCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> keepAlive = lease.LeaseKeepAlive(cancellationToken: keepAliveDeadline.Token);
            for (int i = 0; i < 5; i++) // 5 renewals a second apart, over 4 s: the lease outlives its 3 s TTL
            {
                if (i > 0)
                {
                    // Before each renewal, not after the last: the checks below then come right
                    // after a renewal, with almost the whole TTL (3 s, truncated to 2) as margin
                    // against a slow moment on a busy machine. With a second's pause after the
                    // last one, a 0.9 s stall left "TTL 0" (less than a second) and failed it.
                    await Task.Delay(TimeSpan.FromSeconds(1), keepAliveDeadline.Token);
                }

                await keepAlive.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = grant.ID });
                Assert.True(await keepAlive.ResponseStream.MoveNext(keepAliveDeadline.Token), "the keep-alive stream through the worker ended");
                LeaseKeepAliveResponse renewed = keepAlive.ResponseStream.Current;
                Assert.True(renewed.ID == grant.ID && renewed.TTL == ttl, $"keep-alive {i} through {worker.Name}: {renewed}");
            }

            await keepAlive.RequestStream.CompleteAsync();
        }

        RangeResponse leased = await cluster.Kv(0).RangeAsync(new RangeRequest { Key = Key(prefix + "leased") }, deadline: Deadline());
        Assert.True(leased.Kvs.Count == 1 && leased.Kvs[0].Lease == grant.ID, $"the key on the kept-alive lease is gone after 4 s (TTL {ttl} s):\n{cluster.Logs()}");
        LeaseTimeToLiveResponse left = await lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = grant.ID, Keys = true }, deadline: Deadline());
        Assert.True(left.TTL is > 0 and <= ttl && left.GrantedTTL == ttl, $"time-to-live through {worker.Name}: {left}");
        Assert.Equal(prefix + "leased", Assert.Single(left.Keys).ToStringUtf8());

        await lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = grant.ID }, deadline: Deadline());
        RangeResponse revoked = await cluster.Kv(0).RangeAsync(new RangeRequest { Key = Key(prefix + "leased") }, deadline: Deadline());
        Assert.Empty(revoked.Kvs);
        output.WriteLine($"{run}: put, get, watch, lease grant/keep-alive/time-to-live/revoke through {worker.Name} all answered");
    }

    private static DateTime Deadline() => DateTime.UtcNow + TestCluster.CallTimeout;

    private static ByteString Key(string key) => ByteString.CopyFromUtf8(key);

    private static PutRequest Put(string key, string value, long lease = 0) =>
        new() { Key = Key(key), Value = ByteString.CopyFromUtf8(value), Lease = lease };
}
