using Backbone.Control;
using Backbone.Dns.Names;
using Etcdserverpb;

namespace Backbone.Dns.Feed;

/// <summary>
/// Keeps the name table as the store has it. It reads networks, services, endpoints and
/// reachability reports once at one revision R, then follows a watch on <c>/bb/</c> from R + 1
/// and applies each revision's events to the table it holds (<see cref="NameTableUpdater"/>:
/// only the keys a change touches are recomputed, nothing is read again), so an answer reflects
/// a store write as soon as this member applies it. Each new table is swapped in whole: readers
/// never see half of a change. A watch that fails (its start revision compacted, the store
/// stopping) ends in a fresh read and a new watch from there; meanwhile the last table answers.
/// Managers watch their own engine; workers watch through a manager's etcd API. Without an event
/// feed it reads everything every second instead.
/// </summary>
public sealed class NameFeed(IKeyValue kv, IEventFeed? feed, NameTableOptions options, TimeProvider time, Action<string> note)
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    /// <summary>Guards <see cref="updater"/>: the loop and a direct <see cref="RefreshAsync"/> never write it at once.</summary>
    private readonly Lock gate = new();
    private readonly NameTableUpdater updater = new(options);
    private volatile NameTable current = NameTable.Empty;
    private long builds;
    private long revision;

    public NameTable Current => current;

    /// <summary>Tables published so far, whole builds and incremental updates alike (tests wait on it).</summary>
    public long Builds => Interlocked.Read(ref builds);

    /// <summary>The store revision the current table reflects.</summary>
    public long Revision => Interlocked.Read(ref revision);

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stopping).ConfigureAwait(false);
                if (feed is null)
                {
                    await Task.Delay(Poll, time, stopping).ConfigureAwait(false);
                    continue;
                }

                await FollowAsync(Revision + 1, stopping).ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return; // the node stops: its watch ends or is cancelled, neither worth a note
            }
            catch (Exception e)
            {
                note($"dns: names: {e.Message} (answering from the last table; reading again in {Retry.TotalSeconds:0} s)");
                try
                {
                    await Task.Delay(Retry, time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Reads every name record at one revision and builds the table from them alone.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        TxnResponse state = await kv.TxnAsync(ControlKeys.ReadPrefixes(NameRecords.Prefixes), cancellationToken).ConfigureAwait(false);
        lock (gate)
        {
            updater.Clear();
            foreach (ResponseOp response in state.Responses)
            {
                foreach (Mvccpb.KeyValue record in response.ResponseRange.Kvs)
                {
                    NameRecords.Apply(updater, record.Key.ToStringUtf8(), record.Value.Memory, deleted: false);
                }
            }

            Publish(updater.Commit(), state.Header.Revision);
        }
    }

    /// <summary>Applies the store's events from <paramref name="from"/> on; returns only by throwing (the watch failed or we stop).</summary>
    private async Task FollowAsync(long from, CancellationToken stopping)
    {
        await foreach (EventBatch batch in feed!.EventsAsync("/bb/", from, stopping).ConfigureAwait(false))
        {
            lock (gate)
            {
                bool changed = false;
                foreach (KeyEvent change in batch.Events)
                {
                    changed |= NameRecords.Apply(updater, change.Key, change.Value, change.IsDelete);
                }

                if (changed)
                {
                    Publish(updater.Commit(), batch.Revision);
                }
                else
                {
                    Interlocked.Exchange(ref revision, batch.Revision); // tasks, IPAM, keys...: nothing of ours
                }
            }
        }

        throw new InvalidOperationException("the store's watch ended");
    }

    private void Publish(NameTable table, long atRevision)
    {
        current = table;
        Interlocked.Exchange(ref revision, atRevision);
        Interlocked.Increment(ref builds);
    }
}
