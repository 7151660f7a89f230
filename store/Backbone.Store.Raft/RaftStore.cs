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
}
