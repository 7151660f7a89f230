using Etcdserverpb;

namespace Backbone.Control;

/// <summary>
/// The two etcd calls the control plane needs, in etcd's own messages: the server implements it
/// over its engine, everything else over the client API. Errors come as the implementation's
/// (gRPC status or store exception); a Txn whose compares fail is a normal answer (succeeded false).
/// </summary>
public interface IKeyValue
{
    Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken);

    Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken);
}
