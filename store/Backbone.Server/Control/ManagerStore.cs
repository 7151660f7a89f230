using Backbone.Control;
using Backbone.Server.Cluster;
using Etcdserverpb;
using Grpc.Core;

namespace Backbone.Server.Control;

/// <summary>
/// A worker's way to the store (it holds none): the etcd API of the managers it knows, over the
/// members' channels (the cluster certificate where they serve TLS), moving to the next manager
/// when one cannot be reached.
/// </summary>
public sealed class ManagerStore(GrpcPeerLink link, IReadOnlyList<string> managerUrls) : IKeyValue, ILeases
{
    private int current;

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) =>
        CallAsync(invoker => new ClientKeyValue(invoker).RangeAsync(request, cancellationToken));

    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        CallAsync(invoker => new ClientKeyValue(invoker).TxnAsync(request, cancellationToken));

    public Task<long> GrantAsync(long ttlSeconds, CancellationToken cancellationToken) =>
        CallAsync(invoker => new ClientLeases(invoker).GrantAsync(ttlSeconds, cancellationToken));

    public Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken) =>
        CallAsync(invoker => new ClientLeases(invoker).KeepAliveAsync(id, cancellationToken));

    private async Task<T> CallAsync<T>(Func<CallInvoker, Task<T>> call)
    {
        if (managerUrls.Count == 0)
        {
            throw new InvalidOperationException("this worker knows no manager (its cluster.json lists none)");
        }

        for (int tried = 0; ; tried++)
        {
            int seen = Volatile.Read(ref current);
            try
            {
                return await call(link.ChannelFor(managerUrls[seen % managerUrls.Count]).CreateCallInvoker()).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && tried + 1 < managerUrls.Count)
            {
                Interlocked.CompareExchange(ref current, (seen + 1) % managerUrls.Count, seen); // that manager is down: the next one
            }
        }
    }
}
