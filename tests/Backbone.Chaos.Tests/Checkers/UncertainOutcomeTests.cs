using Backbone.Chaos.Checkers;
using Backbone.Chaos.History;

namespace Backbone.Chaos.Tests.Checkers;

/// <summary>
/// Unknown outcomes (timeouts) may take effect any time after the invoke, or never; Fail outcomes
/// definitely did not take effect.
/// </summary>
public sealed class UncertainOutcomeTests
{
    private readonly LinearizabilityChecker checker = new();

    [Fact]
    public void UnknownPutLaterObservedIsLinearizable()
    {
        // The put's client gave up at 1 ms; the write landed later anyway.
        KvHistory history = new HistoryBuilder()
            .Add(client: 1, 0, 1, KvCall.Put("k", "a"), KvOutcome.Unknown)
            .Get(client: 2, 50, 51, "a")
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.True(result.IsLinearizable, result.Explanation);
    }

    [Fact]
    public void UnknownPutNeverObservedIsLinearizable()
    {
        KvHistory history = new HistoryBuilder()
            .Add(client: 1, 0, 1, KvCall.Put("k", "a"), KvOutcome.Unknown)
            .Get(client: 2, 50, 51, null)
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.True(result.IsLinearizable, result.Explanation);
    }

    [Fact]
    public void UnknownPutCannotBeUndoneOnceObserved()
    {
        KvHistory history = new HistoryBuilder()
            .Add(client: 1, 0, 1, KvCall.Put("k", "a"), KvOutcome.Unknown)
            .Get(client: 2, 50, 51, "a")
            .Get(client: 2, 52, 53, null)
            .Build();

        Assert.Equal(Verdict.NotLinearizable, checker.Check(history).Verdict);
    }

    [Fact]
    public void UnknownPutCannotTakeEffectBeforeItsInvoke()
    {
        KvHistory history = new HistoryBuilder()
            .Get(client: 2, 0, 1, "a")
            .Add(client: 1, 2, 3, KvCall.Put("k", "a"), KvOutcome.Unknown)
            .Build();

        Assert.Equal(Verdict.NotLinearizable, checker.Check(history).Verdict);
    }

    [Fact]
    public void UnknownCompareAndSetSwapsOnlyWhenItsExpectationHolds()
    {
        // The unknown CAS a → b could explain a later "b" ...
        HistoryBuilder swap = new HistoryBuilder()
            .Put(client: 1, 0, 1, "a")
            .Add(client: 2, 2, 3, KvCall.CompareAndSet("k", "a", "b"), KvOutcome.Unknown)
            .Get(client: 3, 10, 11, "b");
        LinearizabilityResult result = checker.Check(swap.Build());
        Assert.True(result.IsLinearizable, result.Explanation);

        // ... but not once the register moved on to "c" before the CAS was even invoked.
        KvHistory moved = new HistoryBuilder()
            .Put(client: 1, 0, 1, "a")
            .Put(client: 1, 2, 3, "c")
            .Add(client: 2, 4, 5, KvCall.CompareAndSet("k", "a", "b"), KvOutcome.Unknown)
            .Get(client: 3, 10, 11, "b")
            .Build();
        Assert.Equal(Verdict.NotLinearizable, checker.Check(moved).Verdict);
    }

    [Fact]
    public void FailedPutObservedIsNotLinearizable()
    {
        KvHistory history = new HistoryBuilder()
            .Add(client: 1, 0, 1, KvCall.Put("k", "a"), KvOutcome.Failed)
            .Get(client: 2, 50, 51, "a")
            .Build();

        Assert.Equal(Verdict.NotLinearizable, checker.Check(history).Verdict);
    }

    [Fact]
    public void FailedAndUnknownReadsConstrainNothing()
    {
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 1, "a")
            .Add(client: 2, 2, 3, KvCall.Get("k"), KvOutcome.Failed)
            .Add(client: 3, 2, 3, KvCall.Get("k"), KvOutcome.Unknown)
            .Get(client: 4, 4, 5, "a")
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.True(result.IsLinearizable, result.Explanation);
        Assert.Contains("2 failed ops or unknown reads and 0 unobserved unknown writes dropped", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownWriteNothingObservedIsDropped()
    {
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 1, "a")
            .Add(client: 2, 2, 3, KvCall.Put("k", "z"), KvOutcome.Unknown)
            .Get(client: 3, 4, 5, "a")
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.True(result.IsLinearizable, result.Explanation);
        Assert.Contains("1 unobserved unknown writes dropped", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownWriteIsKeptWhenALaterFailedCompareNeedsIt()
    {
        // Only the unknown put of "z" explains why CAS "e" → "q" did not swap: dropping it would
        // turn a linearizable history into a violation.
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 1, "e")
            .Add(client: 2, 2, 3, KvCall.Put("k", "z"), KvOutcome.Unknown)
            .Cas(client: 3, 4, 5, expected: "e", "q", swapped: false)
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.True(result.IsLinearizable, result.Explanation);
        Assert.Contains("0 unobserved unknown writes dropped", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownWriteIsKeptWhenAnUnknownCompareExpectsIt()
    {
        // "y" can only come from the unknown CAS "z" → "y", which needs the unknown put of "z".
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 1, "e")
            .Add(client: 2, 2, 3, KvCall.Put("k", "z"), KvOutcome.Unknown)
            .Add(client: 3, 4, 5, KvCall.CompareAndSet("k", "z", "y"), KvOutcome.Unknown)
            .Get(client: 4, 6, 7, "y")
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.True(result.IsLinearizable, result.Explanation);
    }
}
