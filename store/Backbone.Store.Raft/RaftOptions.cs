using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Backbone.Store.Raft;

/// <summary>How one manager takes part in the Raft group.</summary>
public sealed record RaftOptions
{
    /// <summary>Where the Raft log and membership live (DATA/raft).</summary>
    public required string Directory { get; init; }

    /// <summary>The address peers reach this node at (its --advertise-addr and peer port).</summary>
    public required IPEndPoint PeerEndPoint { get; init; }

    /// <summary>The address to bind for peers; defaults to <see cref="PeerEndPoint"/>.</summary>
    public IPEndPoint? ListenEndPoint { get; init; }

    /// <summary>True only for the first start of the node that creates the cluster.</summary>
    public bool Bootstrap { get; init; }

    /// <summary>
    /// For a manager's first start after its join was certified: the cluster's voters. The node
    /// starts with them and itself as its configuration instead of none. DotNext otherwise learns
    /// its configuration only when the entry adding it is committed and that commit reaches it; if
    /// the leader of a one-member cluster lost its leadership in between (one missed heartbeat on
    /// a busy machine), the old leader needed the new member's vote, the new member knew no
    /// members, and neither ever led again. Harmless if the join then fails: no member counts the
    /// vote of a node outside its own configuration.
    /// </summary>
    public IReadOnlyList<IPEndPoint> InitialVoters { get; init; } = [];

    /// <summary>
    /// Recovery from a lost quorum (<c>--force-new-cluster</c>), first step only: the node commits
    /// every entry its log holds, applies them to the store and stops, without joining elections.
    /// <see cref="RaftStore.PrepareForcedClusterAsync"/> then makes it a one-member cluster.
    /// </summary>
    public bool RecoverOnly { get; init; }

    /// <summary>This node as the others see it (our member id, name, client URL), published as Raft metadata.</summary>
    public required RaftPeer Self { get; init; }

    /// <summary>
    /// Election timeout range in ms, with heartbeats at a fifth of the lower bound. A follower
    /// waits for at least four lost heartbeats (the node's default, 300-450 ms, is argued at
    /// NodeServer.DefaultElectionTimeoutMs).
    /// </summary>
    public int LowerElectionTimeoutMs { get; init; } = 300;

    public int UpperElectionTimeoutMs { get; init; } = 450;

    /// <summary>This node's certificate (with its key) for mutual TLS between managers; null runs Raft in cleartext (tests of the adapter only).</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The cluster CA: peers must present a certificate it issued.</summary>
    public X509Certificate2? ClusterCa { get; init; }

    /// <summary>How long a client request may wait for a leader and its commit.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(7);
}
