using Backbone.Store;
using Etcdserverpb;

namespace Backbone.Server;

/// <summary>What every service of one node shares: the engine, the node's identity and its client URL.</summary>
public sealed class NodeContext(StoreEngine engine, NodeIdentity identity, string clientUrl)
{
    /// <summary>Single node today: term 1 and this node leads. Raft supplies real values next.</summary>
    public const ulong RaftTerm = 1;

    public StoreEngine Engine { get; } = engine;

    public NodeIdentity Identity { get; } = identity;

    public string ClientUrl { get; } = clientUrl;

    public ResponseHeader Header(long revision) => new()
    {
        ClusterId = Identity.ClusterId,
        MemberId = Identity.MemberId,
        Revision = revision,
        RaftTerm = RaftTerm,
    };
}
