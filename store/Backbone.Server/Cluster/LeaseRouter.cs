using Backbone.Api.Peer;
using Backbone.Store;
using Backbone.Store.Raft;
using Grpc.Core;
using Etcd = Etcdserverpb;

namespace Backbone.Server.Cluster;

/// <summary>
/// Where lease time is decided: the leader's clock alone (it alone revokes expired leases), so
/// keep-alives and TTL questions that reach a follower go to the leader, as etcd's followers
/// forward them. A standalone node answers itself.
/// </summary>
public sealed class LeaseRouter(StoreEngine engine, RaftCommandLog? log, GrpcPeerLink? link)
{
    private static readonly TimeSpan ForwardTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Renews a lease; its TTL, or 0 when it is unknown or expired.</summary>
    public async ValueTask<long> RenewAsync(long id, CancellationToken cancellationToken)
    {
        while (true)
        {
            RaftPeer? leader = await RemoteLeaderAsync(cancellationToken).ConfigureAwait(false);
            if (leader is null)
            {
                return engine.LeaseKeepAlive(id);
            }

            LeaseRenewResponse answer = await link!.ClientFor(leader.ClientUrl)
                .LeaseRenewAsync(new LeaseRenewRequest { Id = id }, deadline: DateTime.UtcNow + ForwardTimeout, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            if (answer.IsLeader)
            {
                return answer.Ttl;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false); // it just lost leadership: ask again
        }
    }

    /// <summary>The remaining TTL as the leader sees it (the request is passed on unchanged); null to answer locally.</summary>
    public async Task<Etcd.LeaseTimeToLiveResponse?> TimeToLiveAtLeaderAsync(Etcd.LeaseTimeToLiveRequest request, CancellationToken cancellationToken)
    {
        RaftPeer? leader = await RemoteLeaderAsync(cancellationToken).ConfigureAwait(false);
        if (leader is null)
        {
            return null;
        }

        var client = new Etcd.Lease.LeaseClient(link!.ChannelFor(leader.ClientUrl));
        return await client.LeaseTimeToLiveAsync(request, deadline: DateTime.UtcNow + ForwardTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The leader when it is another member; null when this node decides (standalone or leading).</summary>
    private async Task<RaftPeer?> RemoteLeaderAsync(CancellationToken cancellationToken)
    {
        if (log is null || log.IsLeader)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ForwardTimeout);
        RaftPeer leader = await log.Node.GetLeaderAsync(timeout.Token).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.Unavailable, "etcdserver: no leader"));
        return leader.MemberId == log.Node.Self.MemberId ? null : leader;
    }
}
