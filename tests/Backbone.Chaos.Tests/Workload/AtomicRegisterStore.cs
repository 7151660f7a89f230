using Backbone.Chaos.History;

namespace Backbone.Chaos.Tests.Workload;

/// <summary>
/// A key-value store that is linearizable by construction: every call is applied under one lock,
/// and callers apply between their invoke and complete timestamps, so the order of lock
/// acquisitions is a valid linearization of whatever history they record.
/// </summary>
internal sealed class AtomicRegisterStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);

    public KvOutcome Apply(KvCall call)
    {
        lock (gate)
        {
            values.TryGetValue(call.Key, out string? current);
            switch (call.Kind)
            {
                case OperationKind.Get:
                    return KvOutcome.Read(current);
                case OperationKind.Put:
                    values[call.Key] = call.Value;
                    return KvOutcome.Written;
                default:
                    bool swapped = current == call.Expected;
                    if (swapped)
                    {
                        values[call.Key] = call.Value;
                    }

                    return KvOutcome.Swapped(swapped);
            }
        }
    }
}
