using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Store.Raft;

/// <summary>
/// DotNext's write-ahead log, except that a follower's append returns only once the appended
/// entries are on disk (known risk (b), docs/raft.md). DotNext 6.12's AppendEntries handler
/// appends, which only wakes the background flusher, commits up to the leader's commit index and
/// answers: entries above that index were acknowledged unflushed, and the leader could count an
/// entry as committed that a crash then took from every copy but its own.
/// </summary>
/// <remarks>
/// The handler calls the append through <see cref="IAuditTrail{TEntry}"/>, and that is the one
/// overload DotNext uses for entries from a leader, so re-implementing it here covers every
/// acknowledgement of log entries a follower sends (a snapshot install acknowledges state the
/// store has checkpointed before it answers). A flush writes the entries' pages and DotNext's
/// <c>checkpoint</c> file (which a restart trusts for the last index), as the commit that
/// follows would have waited for anyway. A heartbeat flushes too: DotNext counts its answer for
/// the entries before it, and an earlier append's flush may have been cancelled; with nothing
/// unflushed it returns at once. The leader's own entries need nothing: DotNext commits only
/// what it has flushed. So a committed entry is on a quorum's disks, and nobody has to spend a
/// replication round to make sure of it, provided every voter runs this log:
/// <see cref="StoreStateMachine.Version"/> keeps older members from counting.
/// </remarks>
internal sealed class FlushedAppendLog(WriteAheadLog.Options options, IStateMachine stateMachine)
    : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>
{
    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
        await FlushAsync(token).ConfigureAwait(false);
    }
}
