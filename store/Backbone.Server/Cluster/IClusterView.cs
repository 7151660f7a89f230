namespace Backbone.Server.Cluster;

/// <summary>One member as etcd's MemberList and Status report it.</summary>
public sealed record ClusterMember(ulong MemberId, string Name, string PeerUrl, string ClientUrl, bool IsLeader, bool IsLearner);

/// <summary>
/// What the etcd services report about the cluster: leader, term, indexes and members. A
/// standalone node is its own leader at term 1; a cluster member answers from Raft.
/// </summary>
public interface IClusterView
{
    /// <summary>The leader's member id, 0 while there is none.</summary>
    ulong LeaderId { get; }

    ulong Term { get; }

    /// <summary>The last index in this member's log (etcd's raft_index).</summary>
    long RaftIndex { get; }

    long AppliedIndex { get; }

    Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken cancellationToken);
}
