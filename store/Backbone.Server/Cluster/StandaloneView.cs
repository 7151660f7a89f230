using Backbone.Store;

namespace Backbone.Server.Cluster;

/// <summary>A node without a cluster: it leads itself at term 1; its log index is the store's applied index.</summary>
public sealed class StandaloneView(NodeIdentity identity, string clientUrl, StoreEngine engine) : IClusterView
{
    public ulong LeaderId => identity.MemberId;

    public ulong Term => 1;

    public long RaftIndex => engine.Status.AppliedIndex;

    public long AppliedIndex => engine.Status.AppliedIndex;

    public Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ClusterMember>>([new ClusterMember(identity.MemberId, identity.Name, "", clientUrl, true, false)]);
}
