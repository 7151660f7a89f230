using Grpc.Core;

namespace Backbone.Server.Cluster;

/// <summary>
/// Refuses membership changes that would leave the cluster unable to commit: after the change,
/// the members that are reachable now must still be a majority of the voters. Never silently
/// lose quorum (the operator gets the numbers and what to do instead).
/// </summary>
public static class QuorumCheck
{
    /// <summary>As the other overload, for the voters as Raft lists them (reachable = not known unavailable).</summary>
    public static void AfterRemoving(IReadOnlyList<(Backbone.Store.Raft.RaftPeer Peer, bool IsLeader, DotNext.Net.Cluster.ClusterMemberStatus Status)> members, ulong removed) =>
        AfterRemoving([.. members.Select(m => (m.Peer.MemberId, m.Peer.Name, m.Status != DotNext.Net.Cluster.ClusterMemberStatus.Unavailable))], removed);

    public static void AfterRemoving(IReadOnlyList<(ulong MemberId, string Name, bool Reachable)> members, ulong removed)
    {
        var remaining = members.Where(m => m.MemberId != removed).ToList();
        if (remaining.Count == 0)
        {
            throw Refuse("it is the last member: a cluster cannot remove all its managers");
        }

        int reachable = remaining.Count(m => m.Reachable);
        int majority = (remaining.Count / 2) + 1;
        if (reachable < majority)
        {
            string down = string.Join(", ", remaining.Where(m => !m.Reachable).Select(m => m.Name));
            throw Refuse($"afterwards {reachable} of {remaining.Count} managers would be reachable, and a quorum needs {majority} "
                + $"(unreachable: {down}). Bring them back, or remove the unreachable ones first");
        }
    }

    private static RpcException Refuse(string why) => new(new Status(StatusCode.FailedPrecondition, $"refused, it would lose quorum: {why}"));
}
