using Backbone.Store.Commands;

namespace Backbone.Store.Tests.Snapshots;

/// <summary>
/// A command log with no log: each proposal is applied at once, at the next position. Stands in
/// for Raft where only the store's side matters (the state a snapshot installs and a checkpoint
/// keeps); nothing is replayed after a restart but what FASTER's checkpoint holds.
/// </summary>
internal sealed class InMemoryCommandLog(StoreApplier applier) : ICommandLog
{
    private readonly Lock gate = new();

    public bool IsLeader => true;

    public Task<object> ProposeAsync(StoreCommand command, CancellationToken cancellationToken)
    {
        object result;
        lock (gate)
        {
            result = applier.ApplyBatch([(applier.AppliedPosition + 1, command)])[0];
        }

        return result is StoreException refused ? Task.FromException<object>(refused) : Task.FromResult(result);
    }

    public Task ReadBarrierAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task WhenPhysicalCompactionDoneAsync(CancellationToken cancellationToken) => applier.WhenPhysicalCompactionDoneAsync(cancellationToken);

    public void Tick() => applier.Maintain();

    public async ValueTask DisposeAsync() => await applier.CloseAsync(faulted: false);
}
