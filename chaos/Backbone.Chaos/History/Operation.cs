namespace Backbone.Chaos.History;

/// <summary>
/// One recorded operation: which client (process) issued which <see cref="KvCall"/>, when, and what
/// it learned. Times are ticks of one monotonic clock shared by every client of the history.
/// </summary>
/// <remarks>
/// An Unknown outcome has <see cref="CompleteTicks"/> = <see cref="Never"/> whatever the client
/// observed (the Jepsen/Porcupine convention): the operation may take effect any time after its
/// invoke, so it constrains nothing that comes after it in real time.
/// </remarks>
public sealed record Operation
{
    /// <summary>The completion time of an operation whose outcome is unknown: +infinity.</summary>
    public const long Never = long.MaxValue;

    /// <param name="id">Position in the history; failure messages use it as "#id".</param>
    /// <exception cref="ArgumentException">The outcome does not answer the call, or the op completes before it is invoked.</exception>
    public Operation(int id, int clientId, long invokeTicks, long completeTicks, KvCall call, KvOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Kind == OutcomeKind.Ok && outcome.Answers != call.Kind)
        {
            throw new ArgumentException($"outcome {outcome} does not answer {call}", nameof(outcome));
        }

        long complete = outcome.Kind == OutcomeKind.Unknown ? Never : completeTicks;
        if (complete < invokeTicks)
        {
            throw new ArgumentException($"op #{id} completes at {completeTicks}, before its invoke at {invokeTicks}", nameof(completeTicks));
        }

        Id = id;
        ClientId = clientId;
        InvokeTicks = invokeTicks;
        CompleteTicks = complete;
        Call = call;
        Outcome = outcome;
    }

    public int Id { get; }

    public int ClientId { get; }

    public long InvokeTicks { get; }

    /// <summary>When the client got the outcome; <see cref="Never"/> for an Unknown outcome.</summary>
    public long CompleteTicks { get; }

    public KvCall Call { get; }

    public KvOutcome Outcome { get; }
}
