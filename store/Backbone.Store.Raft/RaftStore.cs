using Microsoft.Extensions.Logging;

namespace Backbone.Store.Raft;

/// <summary>Opens a store whose command log is the Raft group: the one place that wires engine, state machine, node and log.</summary>
public static class RaftStore
{
    /// <summary>
    /// Opens the store in <paramref name="storeOptions"/>'s data directory and starts this member
    /// of the Raft group. DotNext replays the committed entries the store does not hold yet; the
    /// node then joins elections (or, on the cluster's first start with
    /// <see cref="RaftOptions.Bootstrap"/>, leads alone until others are added).
    /// </summary>
    public static async Task<(StoreEngine Engine, RaftCommandLog Log)> OpenAsync(
        StoreOptions storeOptions, RaftOptions raftOptions, IPeerLink link, ILoggerFactory? loggers = null,
        TimeProvider? time = null, Action<string>? note = null, CancellationToken cancellationToken = default)
    {
        RaftCommandLog? log = null;
        StoreEngine engine = StoreEngine.Open(storeOptions, time, note: note, openLog: applier =>
        {
            RaftCommandLog? created = null;
            Directory.CreateDirectory(raftOptions.Directory);
            if (LogRepair.ApplyPending(raftOptions.Directory, RaftNode.LogDirectory(raftOptions.Directory)) is { } repaired)
            {
                note?.Invoke(repaired); // before DotNext opens the log: it must not see the old commit index
            }

            var stateMachine = new StoreStateMachine(applier, raftOptions.Directory, (proposals, results) => created!.OnApplied(proposals, results), note);
            if (raftOptions.RecoverOnly)
            {
                stateMachine.MarkLive(); // before DotNext's log starts applying: nothing is held for a leader that will never come
            }

            var node = new RaftNode(raftOptions, stateMachine, loggers);
            created = new RaftCommandLog(node, link, applier);
            log = created;
            return created;
        });
        try
        {
            await log!.Node.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return (engine, log);
    }

    /// <summary>
    /// Recovery from a lost quorum (<c>backbone node --force-new-cluster</c>): makes this member's
    /// data the whole of a new one-member cluster with the same identity, CA and tokens. Every
    /// entry in its log is committed and applied to the store (etcd's rule: an acknowledged write
    /// may sit here uncommitted), the store is checkpointed, and the Raft state is cut back to that
    /// checkpoint (its snapshot) with a configuration of this member alone. Entries the lost
    /// members held and this one never received are gone: that is the operator's trade.
    /// Returns the entry the new cluster starts after.
    /// </summary>
    public static async Task<long> PrepareForcedClusterAsync(StoreOptions storeOptions, RaftOptions raftOptions, IPeerLink link,
        Action<string>? note = null, CancellationToken cancellationToken = default)
    {
        (StoreEngine engine, RaftCommandLog log) = await OpenAsync(storeOptions, raftOptions with { RecoverOnly = true, Bootstrap = false }, link,
            note: note, cancellationToken: cancellationToken).ConfigureAwait(false);
        long entry;
        long term;
        try
        {
            // The store's last entry (later entries without store effects, fences and membership
            // changes, are dropped with the old cluster) and its term, for the new snapshot.
            entry = LogPositions.EntryOf(log.AppliedPosition);
            IReadOnlyDictionary<long, EntryMark> marks = await log.Node.MarksAsync(entry, entry, cancellationToken).ConfigureAwait(false);
            term = marks.TryGetValue(entry, out EntryMark known) ? known.Term
                : SnapshotDescriptor.Load(raftOptions.Directory) is { } behind && behind.Index == entry ? behind.Term
                : throw new InvalidOperationException(entry == 0
                    ? "this member's store holds no Raft entry yet: there is nothing to recover; start a new cluster with --init"
                    : $"the term of Raft entry {entry} is neither in this member's log nor in its snapshot descriptor, so this member cannot be made the new cluster: "
                    + "recover from another surviving manager instead");
        }
        finally
        {
            await engine.DisposeAsync().ConfigureAwait(false); // with a final checkpoint: the store then holds every entry up to `entry`
        }

        new SnapshotDescriptor(entry, term).Save(raftOptions.Directory);
        _ = LogRepair.CutBack(RaftNode.LogDirectory(raftOptions.Directory), entry);
        await RaftNode.WriteLoneConfigurationAsync(raftOptions, cancellationToken).ConfigureAwait(false);
        return entry;
    }
}
