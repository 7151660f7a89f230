using Backbone.Chaos.History;

namespace Backbone.Chaos.Tests.Workload;

/// <summary>
/// Injects the bug a lagging replica serving reads would cause: one read returns a value that was
/// overwritten before the read began. Guaranteed to break linearizability: the fault picks a read R
/// and two successful writes Old and New of its key with Old → New → R in real time (each completed
/// strictly before the next was invoked) and makes R return Old's value. Values are unique in the
/// workload, so only Old wrote it, and New must sit between Old and R in every linearization.
/// </summary>
internal static class StaleReadFault
{
    /// <returns>The faulty history and the read that now lies; null when the history has no such triple.</returns>
    public static (KvHistory History, Operation Read)? Inject(KvHistory history, Random random)
    {
        List<(Operation Read, string Stale)> choices = [];
        foreach (Operation read in history.Operations)
        {
            if (read.Call.Kind == OperationKind.Get && read.Outcome.Kind == OutcomeKind.Ok
                && Stale(history, read) is { } stale)
            {
                choices.Add((read, stale));
            }
        }

        if (choices.Count == 0)
        {
            return null;
        }

        (Operation victim, string value) = choices[random.Next(choices.Count)];
        var faulty = new Operation(victim.Id, victim.ClientId, victim.InvokeTicks, victim.CompleteTicks, victim.Call, KvOutcome.Read(value));
        Operation[] ops = [.. history.Operations.Select(o => o.Id == victim.Id ? faulty : o)];
        return (new KvHistory(ops, history.TicksPerSecond), faulty);
    }

    /// <summary>A value overwritten before <paramref name="read"/> began: Old's, for the latest-invoked New.</summary>
    private static string? Stale(KvHistory history, Operation read)
    {
        Operation? newer = history.Operations
            .Where(w => Wrote(w, read.Call.Key) && w.CompleteTicks < read.InvokeTicks)
            .MaxBy(w => w.InvokeTicks);
        if (newer is null)
        {
            return null;
        }

        Operation? older = history.Operations
            .Where(w => Wrote(w, read.Call.Key) && w.CompleteTicks < newer.InvokeTicks && w.Call.Value is not null)
            .MaxBy(w => w.CompleteTicks);
        return older?.Call.Value;
    }

    private static bool Wrote(Operation op, string key) =>
        op.Call.Key == key && op.Outcome.Kind == OutcomeKind.Ok
        && (op.Call.Kind == OperationKind.Put || (op.Call.Kind == OperationKind.CompareAndSet && op.Outcome.Succeeded));
}
