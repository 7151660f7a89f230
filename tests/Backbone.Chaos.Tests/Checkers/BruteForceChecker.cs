using Backbone.Chaos.History;

namespace Backbone.Chaos.Tests.Checkers;

/// <summary>
/// The definition of linearizability, executed literally, for tiny histories: try every order of
/// the ops that respects real time, and every choice of which Unknown ops took effect at all, and
/// replay each order on a plain dictionary. Shares no code with the real checker (no partition, no
/// +∞ convention, no cache), so the two agreeing means something.
/// </summary>
internal static class BruteForceChecker
{
    public static bool IsLinearizable(KvHistory history)
    {
        // Fail ops did not happen; an Unknown read observed nothing.
        Operation[] ops = [.. history.Operations.Where(o => o.Outcome.Kind == OutcomeKind.Ok
            || (o.Outcome.Kind == OutcomeKind.Unknown && o.Call.Kind != OperationKind.Get))];
        return Search(ops, new bool[ops.Length], new Dictionary<string, string?>(StringComparer.Ordinal));
    }

    private static bool Search(Operation[] ops, bool[] done, Dictionary<string, string?> state)
    {
        // Done when every op is placed, or skipped: only an Unknown op may never take effect.
        bool allSettled = true;
        for (int i = 0; i < ops.Length; i++)
        {
            allSettled &= done[i] || ops[i].Outcome.Kind == OutcomeKind.Unknown;
        }

        if (allSettled)
        {
            return true;
        }

        for (int i = 0; i < ops.Length; i++)
        {
            if (done[i] || !Minimal(ops, done, i) || !Apply(ops[i], state, out var next))
            {
                continue;
            }

            done[i] = true;
            bool found = Search(ops, done, next);
            done[i] = false;
            if (found)
            {
                return true;
            }
        }

        return false;
    }

    // Op i may go next only if no other pending op completed strictly before i was invoked.
    // (A pending Unknown op may instead be skipped for good, which imposes nothing on i.)
    private static bool Minimal(Operation[] ops, bool[] done, int i)
    {
        for (int j = 0; j < ops.Length; j++)
        {
            if (!done[j] && j != i && ops[j].Outcome.Kind == OutcomeKind.Ok && ops[j].CompleteTicks < ops[i].InvokeTicks)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Apply(Operation op, Dictionary<string, string?> state, out Dictionary<string, string?> next)
    {
        next = new Dictionary<string, string?>(state, StringComparer.Ordinal);
        string? current = state.GetValueOrDefault(op.Call.Key);
        bool unknown = op.Outcome.Kind == OutcomeKind.Unknown;
        switch (op.Call.Kind)
        {
            case OperationKind.Get:
                return current == op.Outcome.Value;
            case OperationKind.Put:
                next[op.Call.Key] = op.Call.Value;
                return true;
            default:
                bool matches = current == op.Call.Expected;
                if (matches)
                {
                    next[op.Call.Key] = op.Call.Value;
                }

                return unknown || matches == op.Outcome.Succeeded;
        }
    }
}
