namespace Backbone.Chaos.History;

/// <summary>
/// A finished history: the operations, and the clock they were timed with (only to print times
/// in milliseconds; the checker compares raw ticks).
/// </summary>
public sealed class KvHistory
{
    /// <param name="ticksPerSecond">Frequency of the tick clock; hand-written histories use 1000 so ticks read as ms.</param>
    public KvHistory(IReadOnlyList<Operation> operations, long ticksPerSecond)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ticksPerSecond);
        Operations = operations;
        TicksPerSecond = ticksPerSecond;
        StartTicks = operations.Count == 0 ? 0 : operations.Min(o => o.InvokeTicks);
    }

    public IReadOnlyList<Operation> Operations { get; }

    public long TicksPerSecond { get; }

    /// <summary>The earliest invoke; failure messages print times relative to it.</summary>
    public long StartTicks { get; }

    /// <summary>Milliseconds from the start of the history, for humans.</summary>
    public double ToMs(long ticks) => (ticks - StartTicks) * 1000.0 / TicksPerSecond;

    /// <summary>
    /// One line per operation, e.g. <c>#12 client 3 [1.204 ms, 1.250 ms] Put(k, "a") → Ok</c>;
    /// an Unknown outcome ends at "∞".
    /// </summary>
    public string Describe(Operation op)
    {
        ArgumentNullException.ThrowIfNull(op);
        string complete = op.CompleteTicks == Operation.Never ? "∞" : $"{ToMs(op.CompleteTicks):0.###} ms";
        return $"#{op.Id} client {op.ClientId} [{ToMs(op.InvokeTicks):0.###} ms, {complete}] {op.Call} → {op.Outcome}";
    }
}
