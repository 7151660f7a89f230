using Backbone.Chaos.History;

namespace Backbone.Chaos.Checkers;

/// <summary>
/// Drops the unknown-outcome writes of one key that nothing could have observed. Without this, a
/// history with many timeouts blows up: an unknown write never completes, so the search may place
/// it at every point, and proving a violation means trying every subset of them.
/// </summary>
/// <remarks>
/// <para>
/// An unknown write U (a Put, or a CAS with unknown outcome) of value v is dropped when, on its key:
/// (1) no Ok Get returned v; (2) no CAS (Ok or Unknown) expected v; and (3) every CAS that answered
/// "not swapped" completed strictly before U was invoked. Null is a value here too (a delete).
/// </para>
/// <para>
/// Why the verdict does not change. If H without U is linearizable, append U at the end: it never
/// completes, so real time allows it, and an unknown write is legal in any state. Conversely, take a
/// linearization of H and look at the ops between U (if it took effect) and the next write: they
/// see v, so by (1) none is a Get, by (2) none is a CAS that swapped or an unknown CAS that swapped,
/// and by (3) none is a "not swapped" CAS; what remains are unknown CASes without effect, which can
/// move to the end. The next write is then a Put (a CAS that swapped would expect v), legal in any
/// state. So removing U (and moving those CASes) leaves a linearization of H without U. The
/// conditions only mention ops that are never dropped, so dropping several such writes at once is
/// the same argument repeated.
/// </para>
/// </remarks>
internal static class UnobservedWrites
{
    public static List<Operation> Drop(List<Operation> ops, out int dropped)
    {
        var observed = new HashSet<string>(StringComparer.Ordinal);
        bool absentObserved = false;
        long lastNotSwappedCompleteTicks = long.MinValue;
        foreach (Operation op in ops)
        {
            bool ok = op.Outcome.Kind == OutcomeKind.Ok;
            if (op.Call.Kind == OperationKind.Get && ok)
            {
                Observe(op.Outcome.Value);
            }
            else if (op.Call.Kind == OperationKind.CompareAndSet)
            {
                Observe(op.Call.Expected);
                if (ok && !op.Outcome.Succeeded)
                {
                    lastNotSwappedCompleteTicks = Math.Max(lastNotSwappedCompleteTicks, op.CompleteTicks);
                }
            }
        }

        List<Operation> kept = new(ops.Count);
        foreach (Operation op in ops)
        {
            bool unknownWrite = op.Outcome.Kind == OutcomeKind.Unknown && op.Call.Kind != OperationKind.Get;
            bool unobserved = op.Call.Value is null ? !absentObserved : !observed.Contains(op.Call.Value);
            if (!(unknownWrite && unobserved && lastNotSwappedCompleteTicks < op.InvokeTicks))
            {
                kept.Add(op);
            }
        }

        dropped = ops.Count - kept.Count;
        return kept;

        void Observe(string? value)
        {
            if (value is null)
            {
                absentObserved = true;
            }
            else
            {
                observed.Add(value);
            }
        }
    }
}
