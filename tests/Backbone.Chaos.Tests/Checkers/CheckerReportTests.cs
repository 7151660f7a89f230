using Backbone.Chaos.Checkers;
using Backbone.Chaos.History;
using Backbone.Chaos.Tests.Workload;

namespace Backbone.Chaos.Tests.Checkers;

/// <summary>What a human reads when a check fails, and the budget that turns a hopeless search into "no verdict".</summary>
public sealed class CheckerReportTests
{
    [Fact]
    public void ExplanationShowsClientTimesFromTheStartCallOutcomeAndReason()
    {
        // The history starts at 1000 ms; the report counts from there.
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 1000, 1001, "a")
            .Put(client: 1, 1002, 1003, "b")
            .Get(client: 2, 1004, 1005, "a")
            .Build();

        LinearizabilityResult result = new LinearizabilityChecker().Check(history);

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Contains("key \"k\"", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("#1 client 1 [2 ms, 3 ms] Put(k, \"b\") → Ok", result.Explanation, StringComparison.Ordinal);
        Assert.Contains(
            "#2 client 2 [4 ms, 5 ms] Get(k) → Ok \"a\": it read \"a\", but the register holds \"b\"",
            result.Explanation,
            StringComparison.Ordinal);
        Assert.Equal(result.Explanation, result.ToString());
    }

    [Fact]
    public void UnknownOperationsCompleteAtInfinity()
    {
        var op = new Operation(7, 3, 10, 20, KvCall.Put("k", "a"), KvOutcome.Unknown);
        var history = new KvHistory([op], ticksPerSecond: 1000);

        Assert.Equal(Operation.Never, op.CompleteTicks);
        Assert.Equal("#7 client 3 [0 ms, ∞] Put(k, \"a\") → Unknown", history.Describe(op));
    }

    [Fact]
    public void OutcomeThatDoesNotAnswerTheCallIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new Operation(0, 0, 0, 1, KvCall.Get("k"), KvOutcome.Swapped(true)));
        Assert.Throws<ArgumentException>(() => new Operation(0, 0, 0, 1, KvCall.Put("k", "a"), KvOutcome.Read("a")));
    }

    [Fact]
    public void CompletionBeforeInvokeIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new Operation(0, 0, 5, 4, KvCall.Get("k"), KvOutcome.Read(null)));
    }

    [Fact]
    public void ExhaustedStepBudgetIsUnknownNeverAPass()
    {
        KvHistory history = SimulatedRegisterRun.Run(seed: 1, clients: 8, totalOps: 200, keys: 2);
        var checker = new LinearizabilityChecker(new CheckerOptions { MaxSteps = 50 });

        LinearizabilityResult result = checker.Check(history);

        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.False(result.IsLinearizable);
        Assert.NotNull(result.Key);
        Assert.Contains("no verdict (not a pass): the step budget (50 steps) ran out", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void FullStateCacheIsUnknown()
    {
        KvHistory history = SimulatedRegisterRun.Run(seed: 1, clients: 8, totalOps: 200, keys: 2);
        var checker = new LinearizabilityChecker(new CheckerOptions { MaxCacheEntries = 10 });

        LinearizabilityResult result = checker.Check(history);

        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.Contains("state cache reached its bound (10 states", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void TimeoutIsUnknown()
    {
        // The clock is read every few thousand steps; a history this size takes more than that.
        KvHistory history = SimulatedRegisterRun.Run(seed: 1, clients: 8, totalOps: 6000, keys: 1);
        var checker = new LinearizabilityChecker(new CheckerOptions { Timeout = TimeSpan.Zero });

        LinearizabilityResult result = checker.Check(history);

        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.Contains("timeout", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void CancellationThrows()
    {
        KvHistory history = SimulatedRegisterRun.Run(seed: 1, clients: 8, totalOps: 6000, keys: 1);
        using var canceled = new CancellationTokenSource();
        canceled.Cancel();

        Assert.Throws<OperationCanceledException>(() => new LinearizabilityChecker().Check(history, canceled.Token));
    }
}
