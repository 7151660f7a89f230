using Backbone.Chaos.History;

namespace Backbone.Chaos.Tests.Workload;

/// <summary>
/// One client of the random workload: picks calls on a few keys, with values unique to it
/// ("c3-17"), so every value in a history is written at most once. CAS expects the value this
/// client last saw on the key, so many swaps succeed and many race and lose.
/// </summary>
internal sealed class WorkloadClient(int id, int keys, Random random, WorkloadMix mix)
{
    private readonly Dictionary<string, string?> lastSeen = new(StringComparer.Ordinal);
    private int sequence;

    public int Id => id;

    public KvCall NextCall()
    {
        string key = $"key{random.Next(keys)}";
        string value = $"c{id}-{sequence++}";
        int kind = random.Next(1000);
        if (kind < mix.GetPerMille)
        {
            return KvCall.Get(key);
        }

        if (kind < mix.GetPerMille + mix.PutPerMille)
        {
            return KvCall.Put(key, value);
        }

        return KvCall.CompareAndSet(key, lastSeen.GetValueOrDefault(key), value);
    }

    public Fate NextFate()
    {
        int roll = random.Next(1000);
        return roll < mix.RefusedPerMille ? Fate.Refused
            : roll < mix.RefusedPerMille + mix.LostPerMille ? (random.Next(2) == 0 ? Fate.LostAfterApply : Fate.LostBeforeApply)
            : Fate.Answered;
    }

    /// <summary>Remembers what the store said about the key, for the next CAS.</summary>
    public void Observe(KvCall call, KvOutcome outcome)
    {
        if (outcome.Kind != OutcomeKind.Ok)
        {
            return;
        }

        if (call.Kind == OperationKind.Get)
        {
            lastSeen[call.Key] = outcome.Value;
        }
        else if (call.Kind == OperationKind.Put || outcome.Succeeded)
        {
            lastSeen[call.Key] = call.Value;
        }
    }

    /// <summary>What the client reports, given the fate and (when applied) the store's answer.</summary>
    public static KvOutcome Report(Fate fate, KvOutcome? answer) => fate switch
    {
        Fate.Answered => answer!,
        Fate.Refused => KvOutcome.Failed,
        _ => KvOutcome.Unknown,
    };

    public static bool Applies(Fate fate) => fate is Fate.Answered or Fate.LostAfterApply;
}
