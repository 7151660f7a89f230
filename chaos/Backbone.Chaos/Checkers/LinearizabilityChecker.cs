using Backbone.Chaos.History;

namespace Backbone.Chaos.Checkers;

/// <summary>
/// Decides whether a recorded key-value history is linearizable: whether some total order of its
/// operations both respects real time (an op that completed before another was invoked comes
/// first) and explains every outcome by a register per key, starting absent.
/// </summary>
/// <remarks>
/// <para>
/// Pipeline: split by key (<see cref="KeyHistory.Partition"/>), then for each key build the event
/// list (<see cref="EntryList"/>, which documents the tie rule) and run the memoized Wing &amp; Gong
/// search (<see cref="KeySearch"/>). The first key that fails decides the verdict.
/// </para>
/// <para>
/// Outcomes: Fail ops are dropped (they did not happen); Unknown ops complete at +∞ (they may take
/// effect any time after their invoke, or never); Unknown reads are dropped, and so are unknown
/// writes nothing could have observed (<see cref="UnobservedWrites"/> shows why that is exact). A
/// compare-and-set that answered "not swapped" is an Ok outcome and is checked like any other.
/// </para>
/// <para>
/// Worked example (ticks = ms): client 1 Put(k, "a") [0, 1] → Ok; client 2 Get(k) [2, 3] → Ok absent.
/// The put completed before the get was invoked, so every order puts it first and the get must read
/// "a": not linearizable, and the report shows the prefix [Put] with the register holding "a",
/// and the get as the op that cannot be placed ("it read absent, but the register holds "a"").
/// Had the get been invoked at 1 (not 2), the two would be concurrent and the history linearizable.
/// </para>
/// <para>Thread-safe: a checker holds only its options; each <see cref="Check"/> call has its own state.</para>
/// </remarks>
public sealed class LinearizabilityChecker
{
    private readonly CheckerOptions options;

    public LinearizabilityChecker(CheckerOptions? options = null)
    {
        this.options = options ?? new CheckerOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(this.options.MaxSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(this.options.MaxCacheEntries);
    }

    /// <summary>Checks a whole history; never returns Linearizable unless every key was fully searched.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public LinearizabilityResult Check(KvHistory history, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(history);
        var budget = new SearchBudget(options, cancellationToken);
        List<KeyHistory> keys = KeyHistory.Partition(history, out int dropped, out int unobserved);
        for (int checkedKeys = 0; checkedKeys < keys.Count; checkedKeys++)
        {
            KeyHistory key = keys[checkedKeys];
            KeySearchResult search = KeySearch.Run(key, budget);
            if (search.Verdict == Verdict.NotLinearizable)
            {
                return FailureReport.Build(history, key, search, budget);
            }

            if (search.Verdict == Verdict.Unknown)
            {
                return new LinearizabilityResult(
                    Verdict.Unknown,
                    $"no verdict (not a pass): {budget.Exhausted} while searching key {KvCall.Quote(key.Key)} "
                    + $"({key.Ops.Length} ops), after {checkedKeys} of {keys.Count} keys were found linearizable "
                    + $"({budget.Steps} steps, {budget.Elapsed.TotalMilliseconds:0.#} ms).",
                    budget.Steps,
                    budget.Elapsed,
                    key.Key);
            }
        }

        return new LinearizabilityResult(
            Verdict.Linearizable,
            $"linearizable: {history.Operations.Count} ops over {keys.Count} keys ({dropped} failed ops or unknown reads "
            + $"and {unobserved} unobserved unknown writes dropped), "
            + $"{budget.Steps} steps, {budget.Elapsed.TotalMilliseconds:0.#} ms.",
            budget.Steps,
            budget.Elapsed);
    }
}
