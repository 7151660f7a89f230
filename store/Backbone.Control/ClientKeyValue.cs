using Etcdserverpb;
using Grpc.Core;

namespace Backbone.Control;

/// <summary><see cref="IKeyValue"/> over the etcd v3 API of any member (agents, the DNS server, tests): calls as etcdctl makes them.</summary>
public sealed class ClientKeyValue(CallInvoker invoker) : IKeyValue
{
    private readonly KV.KVClient kv = new(invoker);

    public async Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) =>
        await kv.RangeAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);

    public async Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        await kv.TxnAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
}
