using System.Net;
using Backbone.Api.Peer;
using Backbone.Store.Raft;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Server.Cluster;

/// <summary>What <c>backbone swarm leave</c> does on this node before it stops; returns a summary for the operator.</summary>
public interface INodeLeave
{
    Task<string> LeaveAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A worker leaves: the managers forget it (its record is deleted through one of them), and its
/// data directory is marked as left (<see cref="LeftCluster"/>).
/// </summary>
public sealed class WorkerLeave(GrpcPeerLink link, string dataDir, ulong self) : INodeLeave
{
    public async Task<string> LeaveAsync(CancellationToken cancellationToken)
    {
        ClusterSettings settings = ClusterSettings.Load(dataDir) ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, "this node is not in a cluster"));
        var delete = new DeleteRangeRequest { Key = ByteString.CopyFrom(WorkerRecord.KeyOf(self)) };
        foreach (string manager in settings.KnownMembers)
        {
            try
            {
                await new KV.KVClient(link.ChannelFor(manager)).DeleteRangeAsync(delete, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                LeftCluster.Mark(dataDir);
                return "this worker left the cluster and stops now";
            }
            catch (RpcException)
            {
                // try the next manager
            }
        }

        throw new RpcException(new Status(StatusCode.Unavailable,
            $"no manager answered ({string.Join(", ", settings.KnownMembers)}), so the cluster would still list this worker: retry when a manager is reachable"));
    }
}

/// <summary>
/// A manager leaves: it gives up its vote through the leader (stepping down first if it leads;
/// refused when the others could not keep a quorum, or when it is the only manager), then its data
/// directory is marked as left. Its store stays on disk until it joins a cluster again.
/// </summary>
public sealed class ManagerLeave(RaftNode node, RaftView view, GrpcPeerLink link, string dataDir) : INodeLeave
{
    public async Task<string> LeaveAsync(CancellationToken cancellationToken)
    {
        var members = await view.ManagersAsync(cancellationToken).ConfigureAwait(false);
        if (members.Count <= 1)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                "this is the only manager: it holds the cluster's data, so it cannot leave. Add a manager first (backbone swarm join-token manager), or just stop it"));
        }

        // Checked here for a clear answer before stepping down; the leader checks again.
        QuorumCheck.AfterRemoving(members, node.Self.MemberId);
        var remove = new RemoveMemberRequest { MemberId = node.Self.MemberId };
        if (node.IsLeader)
        {
            await LeaderStepDown.PassOnAsync(node, link, leader => leader.RemoveMemberAsync(remove, cancellationToken: cancellationToken).ResponseAsync, cancellationToken)
                .ConfigureAwait(false);
        }
        else
        {
            RaftPeer leader = await node.GetLeaderAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new RpcException(new Status(StatusCode.Unavailable, "the cluster has no leader right now; retry"));
            await link.ClientFor(leader.ClientUrl).RemoveMemberAsync(remove, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        LeftCluster.Mark(dataDir);
        return $"this manager left the cluster ({members.Count - 1} managers remain) and stops now; its data stays in {dataDir} until it joins again";
    }
}
