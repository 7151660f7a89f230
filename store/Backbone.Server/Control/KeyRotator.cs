using Backbone.Control.Networks;

namespace Backbone.Server.Control;

/// <summary>
/// Rotates the keys of encrypted networks on the leader, once a ring is <see cref="Interval"/>
/// old (12 h by default, `backbone node --key-rotation-interval`). Every manager runs the loop;
/// only the one that leads at a check rotates, and a rotation is a Txn on the ring's revision,
/// so a leader change mid-check cannot rotate twice. Time comes from the injected clock.
/// </summary>
public sealed class KeyRotator(NetworkStore networks, Func<bool> leads, TimeSpan interval, TimeProvider time, Action<string> note)
{
    public TimeSpan Interval { get; } = interval;

    /// <summary>How often the leader looks for rings due: a tenth of the interval, between 1 s and 1 min.</summary>
    public TimeSpan CheckEvery => TimeSpan.FromTicks(Math.Clamp(Interval.Ticks / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));

    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                await Task.Delay(CheckEvery, time, stopping).ConfigureAwait(false);
                if (!leads())
                {
                    continue;
                }

                try
                {
                    await RotateDueAsync(stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    note($"key rotation: {e.Message} (tried again in {CheckEvery.TotalSeconds:0} s)");
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // the node is stopping
        }
    }

    /// <summary>Rotates every ring at least <see cref="Interval"/> old; returns how many.</summary>
    public async Task<int> RotateDueAsync(CancellationToken cancellationToken)
    {
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        int rotated = 0;
        foreach (NetworkRecord network in await networks.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (network.Encrypted && await networks.KeyRingAsync(network, cancellationToken).ConfigureAwait(false) is { } ring
                && now - ring.Ring.RotatedUnixMs >= (long)Interval.TotalMilliseconds)
            {
                // Only the ring seen due: two managers that both think they lead cannot rotate twice.
                if (await networks.RotateKeysAsync(network.Id, cancellationToken, ifRevision: ring.Revision).ConfigureAwait(false) is { } next)
                {
                    note($"rotated the keys of network {network.Name}: primary key at Lamport time {next.Primary.LamportTime}");
                    rotated++;
                }
            }
        }

        return rotated;
    }
}
