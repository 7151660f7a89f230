using Backbone.Chaos.History;

namespace Backbone.Chaos.Checkers;

/// <summary>
/// The model: one register per key, state = its value (interned by <see cref="ValueTable"/>, null
/// = absent, which is also the initial state). <see cref="TryApply"/> is the sequential
/// specification every linearization must satisfy.
/// </summary>
/// <remarks>
/// Unknown outcomes need no "did not happen" branch: such an op never completes, so the search can
/// always linearize it last, after every other op, where its effect is invisible.
/// </remarks>
internal readonly record struct RegisterOp(RegisterStep Step, int Argument, int NewValue)
{
    /// <summary>Reduces a call and its Ok or Unknown outcome (Fail and unknown reads are dropped before).</summary>
    public static RegisterOp Compile(Operation op, ValueTable values)
    {
        KvCall call = op.Call;
        bool known = op.Outcome.Kind == OutcomeKind.Ok;
        return call.Kind switch
        {
            OperationKind.Get when known => new(RegisterStep.Read, values.Intern(op.Outcome.Value), 0),
            OperationKind.Put => new(RegisterStep.Write, 0, values.Intern(call.Value)),
            OperationKind.CompareAndSet => new(
                !known ? RegisterStep.SwapUnknown : op.Outcome.Succeeded ? RegisterStep.SwapSucceeded : RegisterStep.SwapFailed,
                values.Intern(call.Expected),
                values.Intern(call.Value)),
            _ => throw new ArgumentException($"op #{op.Id} ({op.Call} → {op.Outcome}) constrains nothing and must be dropped", nameof(op)),
        };
    }

    /// <summary>True when the op may take effect on a register holding <paramref name="state"/>.</summary>
    public bool TryApply(int state, out int next)
    {
        switch (Step)
        {
            case RegisterStep.Read:
                next = state;
                return state == Argument;
            case RegisterStep.Write:
                next = NewValue;
                return true;
            case RegisterStep.SwapSucceeded:
                next = NewValue;
                return state == Argument;
            case RegisterStep.SwapFailed:
                next = state;
                return state != Argument;
            default:
                next = state == Argument ? NewValue : state;
                return true;
        }
    }

    /// <summary>In words, for failure messages: whether and why the op fits a register holding <paramref name="state"/>.</summary>
    public string Explain(int state, ValueTable values)
    {
        string holds = KvCall.Quote(values.ValueOf(state));
        string argument = KvCall.Quote(values.ValueOf(Argument));
        if (TryApply(state, out _))
        {
            return $"fits here (the register holds {holds}), but no order of the remaining ops can follow it";
        }

        return Step switch
        {
            RegisterStep.Read => $"it read {argument}, but the register holds {holds}",
            RegisterStep.SwapSucceeded => $"it swapped, but the register holds {holds}, not the expected {argument}",
            _ => $"it did not swap, but the register holds the expected {argument}",
        };
    }
}
