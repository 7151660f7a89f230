using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Control.Nodes;

/// <summary>
/// Keeps this node's <see cref="NodeRecord"/> in the store under a lease of <see cref="TtlSeconds"/>,
/// renewed every third of it. A node that stops renewing (killed, partitioned, paused) is gone
/// from <c>/bb/nodes/</c> within the TTL, and so are its endpoints, which share the lease; the
/// scheduler then moves its tasks. If the lease was lost anyway (the node was unreachable for a
/// TTL), a new one is granted and the record written again.
/// </summary>
public sealed class NodeRegistration(IKeyValue kv, ILeases leases, NodeRecord node, Action<string> note)
{
    public const long TtlSeconds = 10;

    private long lease;

    /// <summary>The lease the node's record (and later its endpoints) is attached to; 0 before the first registration.</summary>
    public long LeaseId => Volatile.Read(ref lease);

    public async Task RunAsync(CancellationToken stopping)
    {
        var every = TimeSpan.FromSeconds(TtlSeconds / 3.0);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (LeaseId == 0 || await leases.KeepAliveAsync(LeaseId, stopping).ConfigureAwait(false) == 0)
                {
                    await RegisterAsync(stopping).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                note($"node registration: {e.Message} (retrying in {every.TotalSeconds:0.#} s)");
            }

            try
            {
                await Task.Delay(every, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        long granted = await leases.GrantAsync(TtlSeconds, cancellationToken).ConfigureAwait(false);
        await kv.TxnAsync(new TxnRequest
        {
            Success =
            {
                new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(ControlKeys.Node(node.Id)), Value = ByteString.CopyFrom(node.Serialize()), Lease = granted } },
            },
        }, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref lease, granted);
    }
}
