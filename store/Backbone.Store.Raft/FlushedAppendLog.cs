using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Store.Raft;

/// <summary>
/// DotNext's write-ahead log, except that a follower answers an AppendEntries request only once
/// the appended entries are on disk (known risk (b), docs/raft.md). DotNext 6.12's handler
/// appends, which only wakes the background flusher, commits up to the leader's commit index and
/// answers: entries above that index were acknowledged unflushed, and the leader could count an
/// entry as committed that a crash then took from every copy but its own.
/// </summary>
/// <remarks>
/// The handler calls the append through <see cref="IAuditTrail{TEntry}"/> (the one overload
/// DotNext uses for entries from a leader) and then, always, the commit through
/// <see cref="IAuditTrail"/>, before it answers; a snapshot install acknowledges state the store
/// has checkpointed before it answers. So the append counts itself as owed and the commit that
/// follows pays: DotNext's commit, then DotNext's flush of every entry and of its
/// <c>checkpoint</c> file (which a restart trusts for the last index). Flushing after the commit
/// rather than after the append often lets one flush carry the entries and the new commit index
/// together, where DotNext would write its checkpoint again for the commit alone (not always: the
/// append has already woken DotNext's flusher, which may start before the commit). A heartbeat
/// owes a flush too: DotNext counts its answer for the entries before it, and an earlier flush
/// may have been cancelled; with nothing unflushed it returns at once. A commit that no append
/// preceded (the leader's own) flushes nothing more than DotNext does: the leader commits only
/// what it has flushed. So a committed entry is on a quorum's disks, and nobody has to spend a
/// replication round to make sure of it, provided every voter runs this log:
/// <see cref="StoreStateMachine.Version"/> keeps older members from counting.
/// This rests on DotNext 6.12's handler calling the commit after every append, even when the
/// commit index has not moved (its leader skips the call then; the handler does not). The exact
/// version pin keeps it so. No test goes through the handler to check it: our tests make its two
/// calls themselves, and a crash of every member mostly ends in a log repair, not a lost write.
/// </remarks>
internal sealed class FlushedAppendLog(WriteAheadLog.Options options, IStateMachine stateMachine)
    : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>, IAuditTrail
{
    // Counts only grow: a commit flushes when appends finished that no finished flush covers.
    // DotNext 6.12 never runs a commit beside a follower's append and commit (the handler holds its
    // transition lock, and a leader's loop ends before the node steps down), so the counting is
    // defensive: it stays right if two commits ever overlap.
    private long appended;
    private long paid;

    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
        Interlocked.Increment(ref appended);
    }

    async ValueTask<long> IAuditTrail.CommitAsync(long endIndex, CancellationToken token)
    {
        long committed = await CommitAsync(endIndex, token).ConfigureAwait(false);
        long due = Volatile.Read(ref appended);
        if (due > Volatile.Read(ref paid))
        {
            // Started after those appends returned, this flush covers their entries.
            await FlushAsync(token).ConfigureAwait(false);
            RaisePaid(due);
        }

        return committed;
    }

    private void RaisePaid(long due)
    {
        long seen = Volatile.Read(ref paid);
        while (seen < due)
        {
            long found = Interlocked.CompareExchange(ref paid, due, seen);
            if (found == seen)
            {
                return;
            }

            seen = found;
        }
    }
}
