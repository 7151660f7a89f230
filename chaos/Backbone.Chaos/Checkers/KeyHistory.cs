using Backbone.Chaos.History;

namespace Backbone.Chaos.Checkers;

/// <summary>
/// The sub-history of one key, ready to search: the ops that constrain the register, each compiled
/// to a <see cref="RegisterOp"/> over interned values. Local op i is <see cref="Ops"/>[i].
/// </summary>
internal sealed class KeyHistory
{
    private KeyHistory(string key, Operation[] ops)
    {
        Key = key;
        Ops = ops;
        Steps = new RegisterOp[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            Steps[i] = RegisterOp.Compile(ops[i], Values);
        }
    }

    public string Key { get; }

    public Operation[] Ops { get; }

    public RegisterOp[] Steps { get; }

    public ValueTable Values { get; } = new();

    /// <summary>
    /// Splits a history by key (P-compositionality: a map of registers is linearizable iff each
    /// register's sub-history is), dropping the ops that constrain nothing: Fail (definitely did
    /// not happen), Get with unknown outcome (no value observed, no effect), and unknown writes
    /// nothing could have observed (<see cref="UnobservedWrites"/>).
    /// </summary>
    /// <returns>The keys, smallest sub-history first (ties by key): a cheap key that fails is reported
    /// before an expensive one exhausts the budget.</returns>
    public static List<KeyHistory> Partition(KvHistory history, out int dropped, out int unobservedDropped)
    {
        dropped = 0;
        var byKey = new Dictionary<string, List<Operation>>(StringComparer.Ordinal);
        foreach (Operation op in history.Operations)
        {
            if (!Constrains(op))
            {
                dropped++;
                continue;
            }

            if (!byKey.TryGetValue(op.Call.Key, out List<Operation>? ops))
            {
                ops = [];
                byKey.Add(op.Call.Key, ops);
            }

            ops.Add(op);
        }

        unobservedDropped = 0;
        List<KeyHistory> keys = new(byKey.Count);
        foreach ((string key, List<Operation> ops) in byKey)
        {
            keys.Add(new KeyHistory(key, [.. UnobservedWrites.Drop(ops, out int droppedOnKey)]));
            unobservedDropped += droppedOnKey;
        }

        keys.Sort((a, b) => a.Ops.Length != b.Ops.Length
            ? a.Ops.Length.CompareTo(b.Ops.Length)
            : string.CompareOrdinal(a.Key, b.Key));
        return keys;
    }

    private static bool Constrains(Operation op) => op.Outcome.Kind switch
    {
        OutcomeKind.Fail => false,
        OutcomeKind.Unknown => op.Call.Kind != OperationKind.Get,
        _ => true,
    };
}
