namespace Backbone.Server.Cluster;

/// <summary>
/// Keeps <see cref="ClusterSettings.KnownMembers"/> in <c>cluster.json</c> current while a
/// manager runs: the client URLs of the managers it last saw, checked at every leader change and
/// once a minute. A member that must find the cluster before it opens its own store (a log repair
/// waiting in <see cref="RepairGate"/>) reads them there; the first manager of a cluster and a
/// member that joined before others would otherwise know none, or only the ones of its join.
/// </summary>
#pragma warning disable CA1001 // see Dispose
public sealed class KnownMembersKeeper : IDisposable
#pragma warning restore CA1001
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    private readonly IClusterView view;
    private readonly string dataDir;
    private readonly CancellationTokenSource stop = new();
    private readonly SemaphoreSlim refresh = new(0, 1);

    private KnownMembersKeeper(IClusterView view, string dataDir)
    {
        this.view = view;
        this.dataDir = dataDir;
    }

    /// <summary>Starts keeping; <see cref="Poke"/> asks for a check now (a leader change).</summary>
    public static KnownMembersKeeper Start(IClusterView view, string dataDir)
    {
        var keeper = new KnownMembersKeeper(view, dataDir);
        _ = keeper.RunAsync();
        return keeper;
    }

    public void Poke()
    {
        try
        {
            refresh.Release();
        }
        catch (SemaphoreFullException)
        {
            // a check is already due
        }
    }

    /// <summary>One check: saves the managers' client URLs when they differ from the stored ones. Returns whether it saved.</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<ClusterMember> members = await view.MembersAsync(cancellationToken).ConfigureAwait(false);
        string[] urls = [.. members.Select(m => m.ClientUrl).Where(u => !string.IsNullOrEmpty(u)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        if (urls.Length == 0)
        {
            return false;
        }

        return ClusterSettings.Update(dataDir, settings =>
            settings.KnownMembers.Order(StringComparer.Ordinal).SequenceEqual(urls, StringComparer.Ordinal) ? null : settings with { KnownMembers = urls }) is not null;
    }

    private async Task RunAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stop.Token).ConfigureAwait(false);
                await refresh.WaitAsync(Period, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or Grpc.Core.RpcException)
            {
                // The member list was not readable now (no leader, stopping) or the file not
                // writable: the next check tries again; the stored list stays as it was.
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Stops the checks. The token source and semaphore are left to the collector: a check in flight may still touch them.</summary>
    public void Dispose() => stop.Cancel();
}
