using Backbone.Control;
using Etcdserverpb;

namespace Backbone.Server.Control;

/// <summary>The control plane's store access inside a node: the same engine calls as the KV service, without the network.</summary>
public sealed class EngineKeyValue(NodeContext node) : IKeyValue
{
    public async Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) =>
        ProtoMapping.ToProto(await node.Engine.RangeAsync(ProtoMapping.ToStore(request), cancellationToken).ConfigureAwait(false), node);

    public async Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        ProtoMapping.ToProto(await node.Engine.TxnAsync(ProtoMapping.ToStore(request), cancellationToken).ConfigureAwait(false), node);
}
