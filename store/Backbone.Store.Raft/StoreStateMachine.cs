using System.Buffers;
using Backbone.Store.Commands;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Store.Raft;

/// <summary>
/// DotNext's view of the store: every committed Raft entry (a <see cref="ProposalBatch"/>) is
/// applied through the <see cref="StoreApplier"/> at positions derived from the entry index
/// (<see cref="LogPositions"/>), so every replica computes the same revisions. Entries the store
/// already holds (replayed after a restart, or covered by an installed snapshot) are skipped:
/// the store's applied position is the truth, not DotNext's replay start.
/// DotNext never calls <see cref="ApplyAsync"/> concurrently.
/// </summary>
internal sealed class StoreStateMachine : IStateMachine
{
    private readonly StoreApplier applier;
    private readonly Action<IReadOnlyList<Proposal>, object[]> applied;
    private long appliedEntry;

    public StoreStateMachine(StoreApplier applier, Action<IReadOnlyList<Proposal>, object[]> applied)
    {
        this.applier = applier;
        this.applied = applied;
        appliedEntry = LogPositions.EntryOf(applier.AppliedPosition);
    }

    /// <summary>The last Raft entry whose effects are in the store.</summary>
    public long AppliedEntry => Volatile.Read(ref appliedEntry);

    /// <summary>Set when applying failed for a reason other than a deterministic refusal: the node must stop serving.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>No snapshot yet: lagging members catch up from the log (snapshots come with the log truncation).</summary>
    public ISnapshot? Snapshot => null;

    public int Version => 1;

    public async ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.IsSnapshot)
        {
            throw new NotSupportedException("snapshot install is not supported yet");
        }

        if (entry.Index > AppliedEntry && entry.CommandId == ProposalBatch.CommandId)
        {
            // In memory almost always; a replayed entry may have to be read.
            ReadOnlySequence<byte> payload = entry.TryGetPayload(out ReadOnlySequence<byte> inMemory)
                ? inMemory
                : new ReadOnlySequence<byte>(await entry.ToByteArrayAsync(token: token).ConfigureAwait(false));
            ApplyEntry(entry.Index, payload);
        }

        // Other entries (membership changes, a new leader's no-op) carry nothing for the store;
        // DotNext keeps them in the same log and replays membership ones with a payload.
        Publish(entry.Index);
        return entry.Index;
    }

    public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;

    private void ApplyEntry(long index, ReadOnlySequence<byte> payload)
    {
        try
        {
            List<Proposal> proposals = ProposalBatch.Decode(payload);
            var commands = new (long, StoreCommand)[proposals.Count];
            for (int i = 0; i < proposals.Count; i++)
            {
                commands[i] = (LogPositions.Of(index, i), StoreCommand.Deserialize(proposals[i].Command));
            }

            object[] results = applier.ApplyBatch(commands);
            applied(proposals, results);
            applier.Maintain();
        }
        catch (Exception e)
        {
            // The state is now unknown (or the log holds something we cannot read): never serve
            // from it. Waiters fail; the node reports itself unhealthy and must be restarted.
            Fault = e;
            throw;
        }
    }

    private void Publish(long index)
    {
        if (index > Volatile.Read(ref appliedEntry))
        {
            Volatile.Write(ref appliedEntry, index);
        }
    }
}
