using System.Text;
using Backbone.Chaos.History;

namespace Backbone.Chaos.Checkers;

/// <summary>
/// Turns a failed key search into a <see cref="LinearizabilityResult"/> a human can act on: the tail
/// of a longest linearizable prefix, the register value after it, and each op that could come next
/// with the reason it cannot.
/// </summary>
internal static class FailureReport
{
    // Enough context to see the story; a whole 2,000-op prefix would bury it.
    private const int PrefixShownMax = 10;
    private const int UnplacedShownMax = 20;

    public static LinearizabilityResult Build(KvHistory history, KeyHistory key, KeySearchResult search, SearchBudget budget)
    {
        Operation[] prefix = [.. search.LongestPrefix.Select(i => key.Ops[i])];
        List<int> candidates = Candidates(key, search.LongestPrefix);
        string? value = key.Values.ValueOf(search.StateAfterPrefix);

        var text = new StringBuilder();
        text.AppendLine($"not linearizable: key {KvCall.Quote(key.Key)} ({key.Ops.Length} ops on it; {history.Operations.Count} in the history).");
        text.AppendLine($"A longest linearizable prefix places {prefix.Length} of its {key.Ops.Length} ops; after it the register holds {KvCall.Quote(value)}:");
        if (prefix.Length > PrefixShownMax)
        {
            text.AppendLine($"  … {prefix.Length - PrefixShownMax} earlier ops");
        }

        foreach (Operation op in prefix.Skip(Math.Max(0, prefix.Length - PrefixShownMax)))
        {
            text.AppendLine($"  {history.Describe(op)}");
        }

        text.AppendLine("No op that could come next in real-time order can be placed there:");
        foreach (int i in candidates.Take(UnplacedShownMax))
        {
            text.AppendLine($"  {history.Describe(key.Ops[i])}: {key.Steps[i].Explain(search.StateAfterPrefix, key.Values)}");
        }

        if (candidates.Count > UnplacedShownMax)
        {
            text.AppendLine($"  … {candidates.Count - UnplacedShownMax} more");
        }

        text.Append($"({budget.Steps} search steps, {budget.Elapsed.TotalMilliseconds:0.#} ms)");
        return new LinearizabilityResult(
            Verdict.NotLinearizable,
            text.ToString(),
            budget.Steps,
            budget.Elapsed,
            key.Key,
            prefix,
            value,
            [.. candidates.Select(i => key.Ops[i])]);
    }

    /// <summary>
    /// The ops not in the prefix that real time allows next: invoked no later than the earliest
    /// completion among them (the same tie rule as <see cref="EntryList"/>), in invoke order.
    /// </summary>
    private static List<int> Candidates(KeyHistory key, int[] prefix)
    {
        var placed = new bool[key.Ops.Length];
        foreach (int i in prefix)
        {
            placed[i] = true;
        }

        long earliestComplete = Operation.Never;
        for (int i = 0; i < key.Ops.Length; i++)
        {
            if (!placed[i])
            {
                earliestComplete = Math.Min(earliestComplete, key.Ops[i].CompleteTicks);
            }
        }

        List<int> candidates = [];
        for (int i = 0; i < key.Ops.Length; i++)
        {
            if (!placed[i] && key.Ops[i].InvokeTicks <= earliestComplete)
            {
                candidates.Add(i);
            }
        }

        candidates.Sort((a, b) => key.Ops[a].InvokeTicks != key.Ops[b].InvokeTicks ? key.Ops[a].InvokeTicks.CompareTo(key.Ops[b].InvokeTicks) : a.CompareTo(b));
        return candidates;
    }
}
