using Backbone.Store.Raft;

namespace Backbone.Server.Cluster;

/// <summary>A Raft member's view: leader, term and indexes from DotNext; members with the identities they publish.</summary>
public sealed class RaftView(RaftNode node) : IClusterView
{
    public ulong LeaderId => node.LeaderMemberId;

    public ulong Term => (ulong)Math.Max(0, node.Term);

    public long RaftIndex => node.LastIndex;

    public long AppliedIndex => node.AppliedIndex;

    public async Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken cancellationToken)
    {
        var members = new List<ClusterMember>();
        foreach ((RaftPeer peer, bool isLeader, _) in await node.MembersAsync(cancellationToken).ConfigureAwait(false))
        {
            members.Add(new ClusterMember(peer.MemberId, peer.Name, "https://" + peer.PeerAddress, peer.ClientUrl, isLeader, false));
        }

        return members;
    }
}
