using Backbone.Server.Cluster;
using Backbone.Store;
using Etcdserverpb;

namespace Backbone.Server;

/// <summary>What every service of one node shares: the engine, the node's identity, its client URL and its view of the cluster.</summary>
public sealed class NodeContext(StoreEngine engine, NodeIdentity identity, string clientUrl, IClusterView cluster)
{
    public StoreEngine Engine { get; } = engine;

    public NodeIdentity Identity { get; } = identity;

    public string ClientUrl { get; } = clientUrl;

    public IClusterView Cluster { get; } = cluster;

    public ResponseHeader Header(long revision) => new()
    {
        ClusterId = Identity.ClusterId,
        MemberId = Identity.MemberId,
        Revision = revision,
        RaftTerm = Cluster.Term,
    };
}
