using Backbone.Chaos.History;

namespace Backbone.Chaos.Checkers;

/// <summary>
/// The verdict on a history, with what a human needs when it is not a pass. Use
/// <see cref="Explanation"/> as the assertion message: <c>Assert.True(r.IsLinearizable, r.Explanation)</c>.
/// </summary>
public sealed class LinearizabilityResult
{
    internal LinearizabilityResult(
        Verdict verdict,
        string explanation,
        long steps,
        TimeSpan elapsed,
        string? key = null,
        IReadOnlyList<Operation>? longestPrefix = null,
        string? valueAfterPrefix = null,
        IReadOnlyList<Operation>? unplaced = null)
    {
        Verdict = verdict;
        Explanation = explanation;
        Steps = steps;
        Elapsed = elapsed;
        Key = key;
        LongestPrefix = longestPrefix ?? [];
        ValueAfterPrefix = valueAfterPrefix;
        Unplaced = unplaced ?? [];
    }

    public Verdict Verdict { get; }

    public bool IsLinearizable => Verdict == Verdict.Linearizable;

    /// <summary>NotLinearizable: the key whose sub-history fails. Unknown: the key being searched when the budget ran out.</summary>
    public string? Key { get; }

    /// <summary>NotLinearizable: a longest sequence of the key's ops the search could linearize, in that order.</summary>
    public IReadOnlyList<Operation> LongestPrefix { get; }

    /// <summary>NotLinearizable: the register's value after <see cref="LongestPrefix"/> (null: absent).</summary>
    public string? ValueAfterPrefix { get; }

    /// <summary>
    /// NotLinearizable: the ops that could come next after <see cref="LongestPrefix"/> in real-time
    /// order (invoked before the earliest completion among the remaining ops), none of which can be
    /// placed there. The culprit is usually among them.
    /// </summary>
    public IReadOnlyList<Operation> Unplaced { get; }

    /// <summary>One paragraph for a test failure message or a chaos report.</summary>
    public string Explanation { get; }

    /// <summary>Search steps over all keys checked.</summary>
    public long Steps { get; }

    public TimeSpan Elapsed { get; }

    public override string ToString() => Explanation;
}
