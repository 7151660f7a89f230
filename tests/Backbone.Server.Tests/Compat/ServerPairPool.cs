namespace Backbone.Server.Tests.Compat;

/// <summary>
/// Hands out fresh <see cref="ServerPair"/>s, starting a few ahead: etcd spends most of its ~1 s
/// start-up waiting for its first election, so the next scenarios' servers start while the
/// current one runs. At most <see cref="PrefetchMax"/> pairs are starting or waiting, and no more
/// than <c>pairsTotal</c> are ever started.
/// </summary>
public sealed class ServerPairPool(int pairsTotal) : IAsyncDisposable
{
    private const int PrefetchMax = 3;

    private readonly Lock gate = new();
    private readonly Queue<Task<ServerPair>> starting = new();
    private int started;

    /// <summary>A started pair; the caller owns it and disposes it.</summary>
    public Task<ServerPair> TakeAsync()
    {
        lock (gate)
        {
            Refill();
            Task<ServerPair> next = starting.Count > 0 ? starting.Dequeue() : ServerPair.StartAsync();
            Refill();
            return next;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Task<ServerPair>> left;
        lock (gate)
        {
            left = [.. starting];
            starting.Clear();
            started = pairsTotal;
        }

        foreach (Task<ServerPair> pair in left)
        {
            try
            {
                await (await pair.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
            {
                // It never started; the test that would have used it is gone too.
            }
        }
    }

    private void Refill()
    {
        while (starting.Count < PrefetchMax && started < pairsTotal)
        {
            started++;
            starting.Enqueue(ServerPair.StartAsync());
        }
    }
}
