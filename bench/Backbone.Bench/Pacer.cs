using System.Diagnostics;

namespace Backbone.Bench;

/// <summary>
/// Spreads a total rate over N clients: client i sends its k-th operation at
/// start + (i + k·N) / rate. A client that falls behind sends at once (catching up) rather than
/// skipping; rate 0 means closed loop (no waiting). One per client, used by one task at a time.
/// </summary>
public sealed class Pacer
{
    private readonly double intervalTicks;
    private double nextTs;

    public Pacer(double totalRate, int clients, int client, long startTs)
    {
        if (totalRate > 0)
        {
            intervalTicks = Stopwatch.Frequency * (double)clients / totalRate;
            nextTs = startTs + (Stopwatch.Frequency * (double)client / totalRate);
        }
    }

    public ValueTask WaitTurnAsync(CancellationToken cancellationToken)
    {
        if (intervalTicks == 0)
        {
            return ValueTask.CompletedTask;
        }

        long due = (long)nextTs;
        nextTs += intervalTicks;
        return due - Stopwatch.GetTimestamp() > Stopwatch.Frequency / 2_000
            ? new ValueTask(RunWindow.DelayUntilAsync(due, cancellationToken))
            : ValueTask.CompletedTask;
    }
}
