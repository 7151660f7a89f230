namespace Backbone.Store.Raft;

/// <summary>What a leader answered to forwarded proposals.</summary>
public enum ForwardOutcome
{
    /// <summary>The leader committed them: they will be applied everywhere, in log order.</summary>
    Committed,

    /// <summary>The node asked is not the leader and appended nothing: safe to retry elsewhere.</summary>
    NotLeader,

    /// <summary>The leader lost leadership after appending: they may or may not commit.</summary>
    LeaderChanged,
}

/// <summary>
/// How a follower reaches the leader: forwarded proposals and read-index requests. The server
/// implements it over the members' internal RPC; this project only decides when to call it.
/// </summary>
public interface IPeerLink
{
    /// <summary>Sends proposals to <paramref name="leader"/>; returns once it committed them or refused.</summary>
    Task<ForwardOutcome> ForwardAsync(RaftPeer leader, IReadOnlyList<Proposal> proposals, CancellationToken cancellationToken);

    /// <summary>
    /// Asks <paramref name="leader"/> to confirm its leadership and return its commit index
    /// (ReadIndex). <paramref name="knownCommitIndex"/> is the asking member's own commit index: the
    /// leader tells it about a newer one at once, else it learns that at the next heartbeat.
    /// </summary>
    Task<long?> ReadIndexAsync(RaftPeer leader, long knownCommitIndex, CancellationToken cancellationToken);

    /// <summary>The marks of <paramref name="leader"/>'s log entries from..to, by index (entries it no longer holds are absent); null when it does not lead.</summary>
    Task<IReadOnlyDictionary<long, EntryMark>?> EntryMarksAsync(RaftPeer leader, long from, long to, CancellationToken cancellationToken);
}

/// <summary>A member as the other members address it: Backbone member id, peer endpoint, client URL.</summary>
public sealed record RaftPeer(ulong MemberId, string Name, string PeerAddress, string ClientUrl);
