using Backbone.Api.Peer;
using Backbone.Store.Raft;
using Grpc.Core;

namespace Backbone.Server.Cluster;

/// <summary>
/// A leader asked to give up its own vote (demote itself, leave) cannot do it while it leads: it
/// stands by (stops leading and stays out of elections, still replicating and voting), waits for
/// the others to elect a leader, and passes the call to it. If that fails, it takes part in
/// elections again.
/// </summary>
public static class LeaderStepDown
{
    private static readonly TimeSpan ElectionWait = TimeSpan.FromSeconds(10);

    public static async Task<T> PassOnAsync<T>(RaftNode node, GrpcPeerLink link, Func<Peer.PeerClient, Task<T>> call, CancellationToken cancellationToken)
    {
        await node.StandByAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RaftPeer leader = await OtherLeaderAsync(node, cancellationToken).ConfigureAwait(false)
                ?? throw new RpcException(new Status(StatusCode.Unavailable,
                    $"this manager stepped down, but the others elected no leader within {ElectionWait.TotalSeconds:0} s; retry"));
            return await call(link.ClientFor(leader.ClientUrl)).ConfigureAwait(false);
        }
        catch
        {
            await node.ResumeCandidacyAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The leader once another member leads; null when none is elected in time.</summary>
    private static async Task<RaftPeer?> OtherLeaderAsync(RaftNode node, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(ElectionWait);
        try
        {
            while (true)
            {
                if (!node.IsLeader && node.HasLeader)
                {
                    RaftPeer? leader = await node.GetLeaderAsync(wait.Token).ConfigureAwait(false);
                    if (leader is not null && leader.MemberId != node.Self.MemberId && !string.IsNullOrEmpty(leader.ClientUrl))
                    {
                        return leader;
                    }
                }

                await Task.Delay(20, wait.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
