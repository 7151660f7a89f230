namespace Backbone.Chaos.History;

/// <summary>
/// Records a history while clients run. Thread-safe: any number of client threads call
/// <see cref="Invoke"/> right before sending a request and <see cref="Complete"/> right after the
/// response (or the give-up), so the recorded interval always contains the real effect.
/// </summary>
/// <remarks>
/// Timestamps come from <see cref="TimeProvider.GetTimestamp"/> (Stopwatch ticks for the system
/// provider): one monotonic clock for all clients, which is what real-time order needs.
/// They are taken under the lock, so two events recorded one after the other never go backwards.
/// </remarks>
public sealed class HistoryRecorder
{
    private readonly TimeProvider time;
    private readonly int maxOperations;

    // Guards pending and completed; held only to take a timestamp and touch the lists.
    private readonly Lock gate = new();
    private readonly List<Pending> pending = [];

    /// <param name="time">Clock for timestamps; the system clock when null.</param>
    /// <param name="maxOperations">Bound on the history: <see cref="Invoke"/> throws beyond it (a runaway workload, not a result).</param>
    public HistoryRecorder(TimeProvider? time = null, int maxOperations = 1_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxOperations);
        this.time = time ?? TimeProvider.System;
        this.maxOperations = maxOperations;
    }

    /// <summary>Operations invoked so far.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return pending.Count;
            }
        }
    }

    /// <summary>Call right before the request leaves the client.</summary>
    /// <exception cref="InvalidOperationException">More than maxOperations invokes.</exception>
    public OperationHandle Invoke(int clientId, KvCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        lock (gate)
        {
            if (pending.Count >= maxOperations)
            {
                throw new InvalidOperationException($"history is full ({maxOperations} operations)");
            }

            pending.Add(new Pending(clientId, time.GetTimestamp(), call));
            return new OperationHandle(pending.Count - 1);
        }
    }

    /// <summary>
    /// Call right after the response arrives (Ok or Fail) or the client gives up (Unknown).
    /// </summary>
    /// <exception cref="InvalidOperationException">The handle was already completed.</exception>
    /// <exception cref="ArgumentException">The outcome does not answer the call.</exception>
    public void Complete(OperationHandle handle, KvOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        lock (gate)
        {
            if ((uint)handle.Id >= (uint)pending.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(handle), handle.Id, "not a handle of this recorder");
            }

            Pending op = pending[handle.Id];
            if (op.Done is not null)
            {
                throw new InvalidOperationException($"operation #{handle.Id} completed twice");
            }

            // Built here so a mismatched outcome throws at the call site, not in the checker.
            pending[handle.Id] = op with
            {
                Done = new Operation(handle.Id, op.ClientId, op.InvokeTicks, time.GetTimestamp(), op.Call, outcome),
            };
        }
    }

    /// <summary>
    /// The history so far. Operations not completed yet are Unknown: their client may have crashed
    /// or still be waiting, and either way the request may have taken effect.
    /// </summary>
    public KvHistory ToHistory()
    {
        lock (gate)
        {
            var operations = new Operation[pending.Count];
            for (int i = 0; i < pending.Count; i++)
            {
                Pending op = pending[i];
                operations[i] = op.Done ?? new Operation(i, op.ClientId, op.InvokeTicks, Operation.Never, op.Call, KvOutcome.Unknown);
            }

            return new KvHistory(operations, time.TimestampFrequency);
        }
    }

    private sealed record Pending(int ClientId, long InvokeTicks, KvCall Call)
    {
        public Operation? Done { get; init; }
    }
}
