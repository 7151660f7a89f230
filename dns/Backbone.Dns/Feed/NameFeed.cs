using Backbone.Control;
using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Nodes;
using Backbone.Control.Services;
using Backbone.Dns.Names;
using Etcdserverpb;

namespace Backbone.Dns.Feed;

/// <summary>
/// Keeps the name table as the store has it: reads networks, services and endpoints at one
/// revision, builds a new table and swaps it in whole (readers never see half of a change). It
/// reads again as soon as anything under <c>/bb/</c> changes (a watch), and every few seconds in
/// any case, so a missed event heals by itself.
/// </summary>
public sealed class NameFeed(IKeyValue kv, IChangeFeed? feed, NameTableOptions options, TimeProvider time, Action<string> note)
{
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(5);
    private volatile NameTable current = NameTable.Empty;
    private volatile TaskCompletionSource due = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long builds;

    public NameTable Current => current;

    /// <summary>Tables built so far (tests wait on it).</summary>
    public long Builds => Interlocked.Read(ref builds);

    /// <summary>The store revision the current table reflects.</summary>
    public long Revision { get; private set; }

    public async Task RunAsync(CancellationToken stopping)
    {
        if (feed is not null)
        {
            _ = FollowAsync(stopping);
        }

        TimeSpan quiet = feed is null ? TimeSpan.FromSeconds(1) : Resync;
        while (!stopping.IsCancellationRequested)
        {
            due = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                await RefreshAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                note($"dns: reading names: {e.Message} (answering from the last table meanwhile)");
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            await Task.WhenAny(due.Task, Task.Delay(quiet, time, wait.Token)).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
        }
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        TxnResponse state = await kv.TxnAsync(ControlKeys.ReadPrefixes(ControlKeys.NetworksPrefix, ControlKeys.ServicesPrefix, ControlKeys.EndpointsPrefix, ControlKeys.ReachPrefix), cancellationToken).ConfigureAwait(false);
        var source = new NameSource(
            [.. state.Responses[0].ResponseRange.Kvs.Select(k => NetworkRecord.Deserialize(k.Value.Memory))],
            [.. state.Responses[1].ResponseRange.Kvs.Select(k => ServiceRecord.Deserialize(k.Value.Memory))],
            [.. state.Responses[2].ResponseRange.Kvs.Select(k => EndpointRecord.Deserialize(k.Value.Memory))],
            DownNodes.From(state.Responses[3].ResponseRange.Kvs.Select(k => ReachRecord.Deserialize(k.Value.Memory)))); // the agents' probes on 7946: before a dead node's lease runs out
        current = NameTable.Build(source, options);
        Revision = state.Header.Revision;
        Interlocked.Increment(ref builds);
    }

    private async Task FollowAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await foreach (long _ in feed!.ChangesAsync("/bb/", stopping).ConfigureAwait(false))
                {
                    due.TrySetResult();
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                note($"dns: change feed: {e.Message} (reading every {Resync.TotalSeconds:0} s meanwhile)");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
