using Backbone.Chaos.Checkers;
using Backbone.Chaos.History;
using Backbone.Chaos.Tests.Workload;
using Xunit.Abstractions;

namespace Backbone.Chaos.Tests.Checkers;

/// <summary>
/// Histories of a store that is atomic by construction must pass; the same histories with one stale
/// read injected must fail, on the right key. Each test runs a few seeds: the first is printed and
/// <see cref="TestSeed.Variable"/> replays it, the others follow it (seed + 1, ...).
/// </summary>
public sealed class RandomHistoryTests(ITestOutputHelper output)
{
    private const int Runs = 3;
    private const int Clients = 8;
    private const int Keys = 5;
    private const int ThreadedOpsPerClient = 100;
    private const int SimulatedOps = 1000;

    private readonly LinearizabilityChecker checker = new();

    [Fact]
    public void AtomicRegisterDrivenByThreadsIsLinearizable()
    {
        int first = TestSeed.Choose(output, nameof(AtomicRegisterDrivenByThreadsIsLinearizable));
        for (int seed = first; seed < first + Runs; seed++)
        {
            KvHistory history = ThreadedRegisterRun.Run(seed, Clients, ThreadedOpsPerClient, Keys);
            AssertLinearizable(seed, history);
        }
    }

    [Fact]
    public void AtomicRegisterUnderASimulatedSchedulerIsLinearizable()
    {
        int first = TestSeed.Choose(output, nameof(AtomicRegisterUnderASimulatedSchedulerIsLinearizable));
        for (int seed = first; seed < first + Runs; seed++)
        {
            KvHistory history = SimulatedRegisterRun.Run(seed, Clients, SimulatedOps, Keys);
            AssertLinearizable(seed, history);
        }
    }

    [Fact]
    public void StaleReadInjectedIntoAThreadedHistoryIsCaught()
    {
        int first = TestSeed.Choose(output, nameof(StaleReadInjectedIntoAThreadedHistoryIsCaught));
        for (int seed = first; seed < first + Runs; seed++)
        {
            KvHistory history = ThreadedRegisterRun.Run(seed, Clients, ThreadedOpsPerClient, Keys);
            AssertStaleReadCaught(seed, history);
        }
    }

    [Fact]
    public void StaleReadInjectedIntoASimulatedHistoryIsCaught()
    {
        int first = TestSeed.Choose(output, nameof(StaleReadInjectedIntoASimulatedHistoryIsCaught));
        for (int seed = first; seed < first + Runs; seed++)
        {
            KvHistory history = SimulatedRegisterRun.Run(seed, Clients, SimulatedOps, Keys);
            AssertStaleReadCaught(seed, history);
        }
    }

    private void AssertLinearizable(int seed, KvHistory history)
    {
        LinearizabilityResult result = checker.Check(history);
        output.WriteLine($"seed {seed}: {result.Explanation}");
        Assert.True(result.IsLinearizable, $"seed {seed} (replay with {TestSeed.Variable}={seed}): {result.Explanation}");
    }

    private void AssertStaleReadCaught(int seed, KvHistory history)
    {
        var fault = StaleReadFault.Inject(history, new Random(seed));
        Assert.True(fault.HasValue, $"seed {seed}: no read follows two ordered writes of its key; the workload is too small");
        (KvHistory faulty, Operation read) = fault.Value;
        output.WriteLine($"seed {seed}: stale read {faulty.Describe(read)}");

        LinearizabilityResult result = checker.Check(faulty);

        output.WriteLine(result.Explanation);
        string replay = $"seed {seed} (replay with {TestSeed.Variable}={seed})";
        Assert.True(result.Verdict == Verdict.NotLinearizable, $"{replay}: stale read {faulty.Describe(read)} missed: {result.Explanation}");
        Assert.Equal(read.Call.Key, result.Key);

        // The lie reads a value its key lost before the read began, so no prefix can hold it.
        Assert.DoesNotContain(result.LongestPrefix, o => o.Id == read.Id);
    }
}
