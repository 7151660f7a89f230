using Backbone.Control;
using Backbone.Server.Cluster;

namespace Backbone.Server.Control;

/// <summary>Leases for the control plane inside a node: granted through the engine (so through Raft), renewed where lease time is decided (<see cref="LeaseRouter"/>).</summary>
public sealed class EngineLeases(NodeContext node, LeaseRouter router) : ILeases
{
    public async Task<long> GrantAsync(long ttlSeconds, CancellationToken cancellationToken) =>
        (await node.Engine.LeaseGrantAsync(0, ttlSeconds, cancellationToken).ConfigureAwait(false)).Id;

    public async Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken) =>
        await router.RenewAsync(id, cancellationToken).ConfigureAwait(false);
}
