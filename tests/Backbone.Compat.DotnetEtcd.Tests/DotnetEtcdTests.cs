using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Compat.DotnetEtcd.Tests;

/// <summary>The dotnet-etcd client's everyday calls, unchanged, against Backbone.</summary>
public sealed class DotnetEtcdTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly EtcdClient client = fixture.Client;
    private readonly string prefix = $"t{Guid.NewGuid():N}/";

    [Fact]
    public async Task PutGetRangeDelete()
    {
        PutResponse first = await client.PutAsync(prefix + "a", "1");
        PutResponse second = await client.PutAsync(prefix + "b", "2");
        Assert.Equal(first.Header.Revision + 1, second.Header.Revision);

        Assert.Equal("1", await client.GetValAsync(prefix + "a"));
        IDictionary<string, string> all = await client.GetRangeValAsync(prefix);
        Assert.Equal(new Dictionary<string, string> { [prefix + "a"] = "1", [prefix + "b"] = "2" }, all);

        DeleteRangeResponse deleted = await client.DeleteRangeAsync(prefix);
        Assert.Equal(2, deleted.Deleted);
        Assert.Equal("", await client.GetValAsync(prefix + "a"));
    }

    [Fact]
    public async Task TransactionComparesAndBranches()
    {
        await client.PutAsync(prefix + "lock", "free");
        TxnRequest txn = new();
        txn.Compare.Add(new Compare
        {
            Key = ByteString.CopyFromUtf8(prefix + "lock"),
            Target = Compare.Types.CompareTarget.Value,
            Result = Compare.Types.CompareResult.Equal,
            Value = ByteString.CopyFromUtf8("free"),
        });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(prefix + "lock"), Value = ByteString.CopyFromUtf8("taken") } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = ByteString.CopyFromUtf8(prefix + "lock") } });

        TxnResponse won = await client.TransactionAsync(txn);
        Assert.True(won.Succeeded);
        TxnResponse lost = await client.TransactionAsync(txn);
        Assert.False(lost.Succeeded);
        Assert.Equal("taken", lost.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());
    }

    [Fact]
    public async Task LeaseAttachesKeysAndRevokeDeletesThem()
    {
        LeaseGrantResponse lease = await client.LeaseGrantAsync(new LeaseGrantRequest { TTL = 30 });
        Assert.Equal(30, lease.TTL);
        await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(prefix + "eph"), Value = ByteString.CopyFromUtf8("x"), Lease = lease.ID });

        LeaseTimeToLiveResponse ttl = await client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease.ID, Keys = true });
        Assert.Equal(30, ttl.GrantedTTL);
        Assert.InRange(ttl.TTL, 1, 30);
        Assert.Equal(prefix + "eph", Assert.Single(ttl.Keys).ToStringUtf8());

        await client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease.ID });
        Assert.Equal("", await client.GetValAsync(prefix + "eph"));
        LeaseTimeToLiveResponse gone = await client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease.ID });
        Assert.Equal(-1, gone.TTL);
    }

    [Fact]
    public async Task WatchDeliversPutsAndDeletes()
    {
        List<WatchEvent> seen = [];
        using CancellationTokenSource stop = new(TimeSpan.FromSeconds(30));
        Task watching = client.WatchRangeAsync([prefix], response =>
        {
            lock (seen)
            {
                foreach (Mvccpb.Event e in response.Events)
                {
                    seen.Add(new WatchEvent { Key = e.Kv.Key.ToStringUtf8(), Value = e.Kv.Value.ToStringUtf8(), Type = e.Type });
                }
            }
        }, cancellationToken: stop.Token);

        // The watch is registered asynchronously: keep writing until the first event shows up.
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (Count(seen) == 0 && DateTime.UtcNow < deadline)
        {
            await client.PutAsync(prefix + "w", "v");
            await Task.Delay(50);
        }

        await client.DeleteAsync(prefix + "w");
        while (!seen.ToArray().Any(e => e.Type == Mvccpb.Event.Types.EventType.Delete) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        WatchEvent[] events;
        lock (seen)
        {
            events = [.. seen];
        }

        Assert.All(events, e => Assert.Equal(prefix + "w", e.Key));
        Assert.Equal(Mvccpb.Event.Types.EventType.Delete, events[^1].Type);
        Assert.Contains(events, e => e.Type == Mvccpb.Event.Types.EventType.Put && e.Value == "v");
        _ = watching;
    }

    [Fact]
    public async Task StatusAndMemberList()
    {
        StatusResponse status = await client.StatusAsync(new StatusRequest());
        Assert.Equal(status.Header.MemberId, status.Leader);
        Assert.StartsWith("3.5", status.Version, StringComparison.Ordinal);

        MemberListResponse members = await client.MemberListAsync(new MemberListRequest());
        Member self = Assert.Single(members.Members);
        Assert.Equal(status.Header.MemberId, self.ID);
        Assert.Single(self.ClientURLs);
    }

    [Fact]
    public async Task ErrorsCarryEtcdMessages()
    {
        RpcException empty = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync("", "x"));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Equal("etcdserver: key is not provided", empty.Status.Detail);

        RpcException noLease = await Assert.ThrowsAsync<RpcException>(() =>
            client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(prefix + "x"), Lease = 12345 }));
        Assert.Equal(StatusCode.NotFound, noLease.StatusCode);
        Assert.Equal("etcdserver: requested lease not found", noLease.Status.Detail);
    }

    private static int Count(List<WatchEvent> seen)
    {
        lock (seen)
        {
            return seen.Count;
        }
    }
}
