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
public sealed class ManagerStore(GrpcPeerLink link, IReadOnlyList<string> managerUrls) : IKeyValue, ILeases, IEventFeed, IChangeFeed
{
    private int current;

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) =>
        CallAsync(invoker => new ClientKeyValue(invoker).RangeAsync(request, cancellationToken), repeatable: true, cancellationToken);

    /// <summary>A txn that only reads is a read (a manager serves it as one: etcd's isTxnReadonly), as safe to ask again.</summary>
    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        CallAsync(invoker => new ClientKeyValue(invoker).TxnAsync(request, cancellationToken), repeatable: OnlyReads(request), cancellationToken);

    private static bool OnlyReads(TxnRequest request) =>
        request.Success.Concat(request.Failure).All(op => op.RequestCase == RequestOp.RequestOneofCase.RequestRange);

    public Task<long> GrantAsync(long ttlSeconds, CancellationToken cancellationToken) =>
        CallAsync(invoker => new ClientLeases(invoker).GrantAsync(ttlSeconds, cancellationToken), repeatable: false, cancellationToken);

    public Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken) =>
        CallAsync(invoker => new ClientLeases(invoker).KeepAliveAsync(id, cancellationToken), repeatable: true, cancellationToken);

    /// <summary>
    /// A watch on the current manager. It does not move on by itself: when that manager goes,
    /// the watch fails, and the caller's next read (which does move on) picks the next one.
    /// </summary>
    public IAsyncEnumerable<EventBatch> EventsAsync(string prefix, long startRevision, CancellationToken cancellationToken)
    {
        RequireManagers();
        return new ClientEventFeed(InvokerFor(Volatile.Read(ref current))).EventsAsync(prefix, startRevision, cancellationToken);
    }

    /// <summary>As <see cref="EventsAsync"/>, revisions only: what the worker's agent follows.</summary>
    public IAsyncEnumerable<long> ChangesAsync(string prefix, CancellationToken cancellationToken)
    {
        RequireManagers();
        return new ClientChangeFeed(InvokerFor(Volatile.Read(ref current))).ChangesAsync(prefix, cancellationToken);
    }

    /// <param name="repeatable">
    /// Whether the call may be sent again to another manager after a failure that came once it was
    /// sent (a reset, the keep-alive's, or the manager's own "request timed out"): a read or a lease
    /// keep-alive may; a write goes elsewhere only if it never left, as the manager may have passed
    /// it on already, so it fails to its caller, whose next call goes on.
    /// </param>
    private async Task<T> CallAsync<T>(Func<CallInvoker, Task<T>> call, bool repeatable, CancellationToken cancellationToken)
    {
        RequireManagers();
        for (int tried = 0; ; tried++)
        {
            int seen = Volatile.Read(ref current);
            try
            {
                return await call(InvokerFor(seen)).ConfigureAwait(false);
            }
            catch (RpcException e) when (RpcFailure.Unreachable(e) && (repeatable || RpcFailure.NeverConnected(e)) && tried + 1 < managerUrls.Count)
            {
                MoveOn(seen); // that manager is down or frozen: the next one
            }
            catch (RpcException e) when (RpcFailure.Unreachable(e))
            {
                MoveOn(seen); // the last one tried: the caller's next call starts on the one after
                throw;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The caller's deadline passed (or it stops) with no answer: the next call tries
                // another manager, should this one hang without failing.
                MoveOn(seen);
                throw;
            }
        }
    }

    private void MoveOn(int seen) => Interlocked.CompareExchange(ref current, (seen + 1) % managerUrls.Count, seen);

    private CallInvoker InvokerFor(int seen) => link.ChannelFor(managerUrls[seen % managerUrls.Count]).CreateCallInvoker();

    private void RequireManagers()
    {
        if (managerUrls.Count == 0)
        {
            throw new InvalidOperationException("this worker knows no manager (its cluster.json lists none)");
        }
    }
}
