using Grpc.Core;
using Etcd = Etcdserverpb;

namespace Backbone.Server.Services;

/// <summary>
/// etcd's KV service. Reads are served from this node's applied state, after the log's read
/// barrier unless serializable (on one node every applied write is already durable and
/// acknowledged, so the barrier is free; in a cluster it is ReadIndex).
/// </summary>
public sealed class KvService(NodeContext node) : Etcd.KV.KVBase
{
    public override async Task<Etcd.RangeResponse> Range(Etcd.RangeRequest request, ServerCallContext context) =>
        ProtoMapping.ToProto(await node.Engine.RangeAsync(ProtoMapping.ToStore(request), context.CancellationToken).ConfigureAwait(false), node);

    public override async Task<Etcd.PutResponse> Put(Etcd.PutRequest request, ServerCallContext context) =>
        ProtoMapping.ToProto(await node.Engine.PutAsync(ProtoMapping.ToStore(request), context.CancellationToken).ConfigureAwait(false), node);

    public override async Task<Etcd.DeleteRangeResponse> DeleteRange(Etcd.DeleteRangeRequest request, ServerCallContext context) =>
        ProtoMapping.ToProto(await node.Engine.DeleteRangeAsync(ProtoMapping.ToStore(request), context.CancellationToken).ConfigureAwait(false), node);

    public override async Task<Etcd.TxnResponse> Txn(Etcd.TxnRequest request, ServerCallContext context) =>
        ProtoMapping.ToProto(await node.Engine.TxnAsync(ProtoMapping.ToStore(request), context.CancellationToken).ConfigureAwait(false), node);

    public override async Task<Etcd.CompactionResponse> Compact(Etcd.CompactionRequest request, ServerCallContext context)
    {
        var result = await node.Engine.CompactAsync(request.Revision, request.Physical, context.CancellationToken).ConfigureAwait(false);
        return new Etcd.CompactionResponse { Header = node.Header(result.Revision) };
    }
}
