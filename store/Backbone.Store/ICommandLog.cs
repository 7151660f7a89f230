using Backbone.Store.Commands;

namespace Backbone.Store;

/// <summary>
/// Orders commands and applies them once durable: a local write-ahead log
/// (<see cref="LocalCommandLog"/>) on a single node, the Raft log in a cluster
/// (store/Backbone.Store.Raft). Both apply through a <see cref="StoreApplier"/>.
/// </summary>
public interface ICommandLog : IAsyncDisposable
{
    /// <summary>
    /// Completes with the command's result after it is committed, durable and applied on this
    /// node, or faults with a <see cref="StoreException"/> (RequestTooLarge when the encoded
    /// command exceeds <see cref="Backbone.Core.StoreLimits.MaxRequestBytes"/>, as etcd refuses a
    /// proposal over its request limit).
    /// </summary>
    Task<object> ProposeAsync(StoreCommand command, CancellationToken cancellationToken);

    /// <summary>
    /// Completes once this node has applied every write committed before the call, so that a read
    /// served afterwards is linearizable (etcd's default). Immediate on a single node.
    /// </summary>
    Task ReadBarrierAsync(CancellationToken cancellationToken);

    /// <summary>Whether this node decides lease expiry (the single node, or the Raft leader).</summary>
    bool IsLeader { get; }

    /// <summary>Completes once compacted revisions have left FASTER on this node.</summary>
    Task WhenPhysicalCompactionDoneAsync(CancellationToken cancellationToken);

    /// <summary>The engine's periodic tick: a chance for maintenance when no writes arrive.</summary>
    void Tick();
}
