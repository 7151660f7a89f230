using Backbone.Server.Cluster;
using Grpc.Core;
using Etcd = Etcdserverpb;

namespace Backbone.Server.Services;

/// <summary>
/// etcd's Lease service: grant and revoke go through the log; keep-alive and TTL are the
/// leader's clock (<see cref="LeaseRouter"/>: a follower asks the leader).
/// </summary>
public sealed class LeaseService(NodeContext node, LeaseRouter leases) : Etcd.Lease.LeaseBase
{
    public override async Task<Etcd.LeaseGrantResponse> LeaseGrant(Etcd.LeaseGrantRequest request, ServerCallContext context)
    {
        var granted = await node.Engine.LeaseGrantAsync(request.ID, request.TTL, context.CancellationToken).ConfigureAwait(false);
        return new Etcd.LeaseGrantResponse { Header = node.Header(granted.Revision), ID = granted.Id, TTL = granted.TtlSeconds };
    }

    public override async Task<Etcd.LeaseRevokeResponse> LeaseRevoke(Etcd.LeaseRevokeRequest request, ServerCallContext context)
    {
        var revoked = await node.Engine.LeaseRevokeAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
        return new Etcd.LeaseRevokeResponse { Header = node.Header(revoked.Revision) };
    }

    public override async Task LeaseKeepAlive(
        IAsyncStreamReader<Etcd.LeaseKeepAliveRequest> requestStream,
        IServerStreamWriter<Etcd.LeaseKeepAliveResponse> responseStream,
        ServerCallContext context)
    {
        await foreach (Etcd.LeaseKeepAliveRequest request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            long ttl = await leases.RenewAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
            await responseStream.WriteAsync(new Etcd.LeaseKeepAliveResponse
            {
                Header = node.Header(node.Engine.Revision),
                ID = request.ID,
                TTL = ttl,
            }).ConfigureAwait(false);
        }
    }

    public override async Task<Etcd.LeaseTimeToLiveResponse> LeaseTimeToLive(Etcd.LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        if (await leases.TimeToLiveAtLeaderAsync(request, context.CancellationToken).ConfigureAwait(false) is { } atLeader)
        {
            atLeader.Header = node.Header(atLeader.Header?.Revision ?? node.Engine.Revision);
            return atLeader;
        }

        var ttl = node.Engine.LeaseTimeToLive(request.ID, request.Keys);
        Etcd.LeaseTimeToLiveResponse response = new()
        {
            Header = node.Header(ttl.Revision),
            ID = ttl.Id,
            TTL = ttl.TtlSeconds,
            GrantedTTL = ttl.GrantedTtlSeconds,
        };
        foreach (byte[] key in ttl.Keys)
        {
            response.Keys.Add(Google.Protobuf.UnsafeByteOperations.UnsafeWrap(key));
        }

        return response;
    }

    public override Task<Etcd.LeaseLeasesResponse> LeaseLeases(Etcd.LeaseLeasesRequest request, ServerCallContext context)
    {
        Etcd.LeaseLeasesResponse response = new() { Header = node.Header(node.Engine.Revision) };
        foreach (long id in node.Engine.Leases())
        {
            response.Leases.Add(new Etcd.LeaseStatus { ID = id });
        }

        return Task.FromResult(response);
    }
}
