using Etcdserverpb;
using Grpc.Core;

namespace Backbone.Control;

/// <summary><see cref="ILeases"/> over the etcd v3 Lease API of any member: a grant, and a keep-alive stream opened per renewal (once every few seconds).</summary>
public sealed class ClientLeases(CallInvoker invoker) : ILeases
{
    private readonly Lease.LeaseClient leases = new(invoker);

    public async Task<long> GrantAsync(long ttlSeconds, CancellationToken cancellationToken) =>
        (await leases.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttlSeconds }, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false)).ID;

    public async Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken)
    {
        using AsyncDuplexStreamingCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> call = leases.LeaseKeepAlive(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id }, cancellationToken).ConfigureAwait(false);
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        return await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) ? call.ResponseStream.Current.TTL : 0;
    }
}
