using Backbone.Chaos.Checkers;
using Backbone.Chaos.History;

namespace Backbone.Chaos.Tests.Checkers;

/// <summary>Compare-and-set: a swap is a read and a write at one instant; "not swapped" is an answer too.</summary>
public sealed class CompareAndSetTests
{
    private readonly LinearizabilityChecker checker = new();

    [Fact]
    public void TwoConcurrentCreatesCannotBothSucceed()
    {
        KvHistory history = new HistoryBuilder()
            .Cas(client: 1, 0, 10, expected: null, "x", swapped: true)
            .Cas(client: 2, 0, 10, expected: null, "y", swapped: true)
            .Build();

        Assert.Equal(Verdict.NotLinearizable, checker.Check(history).Verdict);
    }

    [Fact]
    public void OneConcurrentCreateWinsAndTheOtherSeesItsValue()
    {
        KvHistory history = new HistoryBuilder()
            .Cas(client: 1, 0, 10, expected: null, "x", swapped: true)
            .Cas(client: 2, 0, 10, expected: null, "y", swapped: false)
            .Get(client: 3, 11, 12, "x")
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.True(result.IsLinearizable, result.Explanation);
    }

    [Fact]
    public void ALoserReadingTheLosersValueIsNotLinearizable()
    {
        KvHistory history = new HistoryBuilder()
            .Cas(client: 1, 0, 10, expected: null, "x", swapped: true)
            .Cas(client: 2, 0, 10, expected: null, "y", swapped: false)
            .Get(client: 3, 11, 12, "y")
            .Build();

        Assert.Equal(Verdict.NotLinearizable, checker.Check(history).Verdict);
    }

    [Fact]
    public void ACompareThatShouldHaveMatchedButDidNotSwapIsNotLinearizable()
    {
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 1, "a")
            .Cas(client: 2, 2, 3, expected: "a", "b", swapped: false)
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Contains("did not swap, but the register holds the expected \"a\"", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void ASwapFromAValueTheRegisterNeverHeldIsNotLinearizable()
    {
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 1, "a")
            .Cas(client: 2, 2, 3, expected: "z", "b", swapped: true)
            .Build();

        Assert.Equal(Verdict.NotLinearizable, checker.Check(history).Verdict);
    }

    [Fact]
    public void AChainOfSwapsIsLinearizableOnlyInItsOrder()
    {
        // a → b → c by concurrent swaps; a read of "b" after the read of "c" would go back in time.
        HistoryBuilder swaps = new HistoryBuilder()
            .Put(client: 1, 0, 1, "a")
            .Cas(client: 2, 2, 20, expected: "b", "c", swapped: true)
            .Cas(client: 3, 2, 20, expected: "a", "b", swapped: true)
            .Get(client: 4, 21, 22, "c");
        LinearizabilityResult ordered = checker.Check(swaps.Build());
        Assert.True(ordered.IsLinearizable, ordered.Explanation);

        swaps.Get(client: 4, 23, 24, "b");
        Assert.Equal(Verdict.NotLinearizable, checker.Check(swaps.Build()).Verdict);
    }
}
