using System.Diagnostics;
using Backbone.Chaos.Checkers;
using Backbone.Chaos.History;
using Backbone.Chaos.Tests.Workload;
using Xunit.Abstractions;

namespace Backbone.Chaos.Tests.Checkers;

/// <summary>
/// The size the Raft tests record: ~2,000 ops over 5 keys from 8 clients, with timeouts and refusals.
/// The bound is loose (a loaded CI machine), the printed time is the number to watch.
/// </summary>
public sealed class CheckerPerformanceTests(ITestOutputHelper output)
{
    private const int Ops = 2000;
    private const int Clients = 8;
    private const int Keys = 5;
    private static readonly TimeSpan CheckTimeMax = TimeSpan.FromSeconds(3);

    [Fact]
    public void TwoThousandOpHistoryIsCheckedQuickly()
    {
        int seed = TestSeed.Choose(output, nameof(TwoThousandOpHistoryIsCheckedQuickly));
        KvHistory history = SimulatedRegisterRun.Run(seed, Clients, Ops, Keys);

        LinearizabilityResult result = Timed(history, out TimeSpan elapsed);

        Assert.True(result.IsLinearizable, $"seed {seed}: {result.Explanation}");
        Assert.True(elapsed < CheckTimeMax, $"seed {seed}: check took {elapsed.TotalMilliseconds:0} ms (bound {CheckTimeMax})");
    }

    [Fact]
    public void TwoThousandOpHistoryWithAStaleReadIsRejectedQuickly()
    {
        int seed = TestSeed.Choose(output, nameof(TwoThousandOpHistoryWithAStaleReadIsRejectedQuickly));
        KvHistory history = SimulatedRegisterRun.Run(seed, Clients, Ops, Keys);
        var fault = StaleReadFault.Inject(history, new Random(seed));
        Assert.True(fault.HasValue, $"seed {seed}: nothing to inject");

        LinearizabilityResult result = Timed(fault.Value.History, out TimeSpan elapsed);

        Assert.True(result.Verdict == Verdict.NotLinearizable, $"seed {seed}: {result.Explanation}");
        Assert.True(elapsed < CheckTimeMax, $"seed {seed}: check took {elapsed.TotalMilliseconds:0} ms (bound {CheckTimeMax})");
    }

    [Fact]
    public void HotKeyWithManyTimeoutsAndAStaleReadIsRejectedQuickly()
    {
        // One key, 15% of requests timed out: without dropping unobserved unknown writes the search
        // must try every subset of them and runs out of budget.
        int seed = TestSeed.Choose(output, nameof(HotKeyWithManyTimeoutsAndAStaleReadIsRejectedQuickly));
        KvHistory history = SimulatedRegisterRun.Run(seed, Clients, Ops, keys: 1, WorkloadMix.PutGetWithTimeouts);
        var fault = StaleReadFault.Inject(history, new Random(seed));
        Assert.True(fault.HasValue, $"seed {seed}: nothing to inject");

        LinearizabilityResult result = Timed(fault.Value.History, out TimeSpan elapsed);

        Assert.True(result.Verdict == Verdict.NotLinearizable, $"seed {seed}: {result.Explanation}");
        Assert.True(elapsed < CheckTimeMax, $"seed {seed}: check took {elapsed.TotalMilliseconds:0} ms (bound {CheckTimeMax})");
    }

    private LinearizabilityResult Timed(KvHistory history, out TimeSpan elapsed)
    {
        var checker = new LinearizabilityChecker();
        long start = Stopwatch.GetTimestamp();
        LinearizabilityResult result = checker.Check(history);
        elapsed = Stopwatch.GetElapsedTime(start);
        int unknown = history.Operations.Count(o => o.Outcome.Kind == OutcomeKind.Unknown);
        output.WriteLine($"{history.Operations.Count} ops ({unknown} unknown), {result.Verdict} in {elapsed.TotalMilliseconds:0.#} ms, {result.Steps} steps");
        return result;
    }
}
