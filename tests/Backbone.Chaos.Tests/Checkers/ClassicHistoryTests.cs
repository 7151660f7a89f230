using Backbone.Chaos.Checkers;
using Backbone.Chaos.History;

namespace Backbone.Chaos.Tests.Checkers;

/// <summary>The textbook cases for a register, each with a verdict that a wrong checker would miss.</summary>
public sealed class ClassicHistoryTests
{
    private readonly LinearizabilityChecker checker = new();

    [Fact]
    public void EmptyHistoryIsLinearizable()
    {
        LinearizabilityResult result = checker.Check(new HistoryBuilder().Build());

        Assert.True(result.IsLinearizable, result.Explanation);
    }

    [Fact]
    public void ReadOfAValueBeforeAnyWriteCouldHappenIsNotLinearizable()
    {
        KvHistory history = new HistoryBuilder()
            .Get(client: 1, 0, 1, read: "a")
            .Put(client: 2, 2, 3, "a")
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Empty(result.LongestPrefix);
        Assert.Equal([0], result.Unplaced.Select(o => o.Id));
    }

    [Theory]
    [InlineData("a")] // the read is linearized after the write
    [InlineData(null)] // the read is linearized before it
    public void ConcurrentReadMaySeeEitherValue(string? read)
    {
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 10, "a")
            .Get(client: 2, 2, 5, read)
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.True(result.IsLinearizable, result.Explanation);
    }

    [Fact]
    public void ConcurrentReadOfAValueNeverWrittenIsNotLinearizable()
    {
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 10, "a")
            .Get(client: 2, 2, 5, "b")
            .Build();

        Assert.Equal(Verdict.NotLinearizable, checker.Check(history).Verdict);
    }

    [Fact]
    public void StaleReadAfterACompletedWriteIsNotLinearizable()
    {
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 1, "a")
            .Put(client: 1, 2, 3, "b")
            .Get(client: 2, 4, 5, "a")
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal([0, 1], result.LongestPrefix.Select(o => o.Id));
        Assert.Equal("b", result.ValueAfterPrefix);
        Assert.Equal([2], result.Unplaced.Select(o => o.Id));
    }

    [Fact]
    public void ReadsMustNotGoBackInTimeEvenWhileTheWriteIsInFlight()
    {
        // Both reads overlap the put, but the first saw "a", so the second (after it) must too.
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 10, "a")
            .Get(client: 2, 1, 2, "a")
            .Get(client: 3, 3, 4, null)
            .Build();

        Assert.Equal(Verdict.NotLinearizable, checker.Check(history).Verdict);
    }

    [Fact]
    public void ReturnAtTheSameInstantAsAnInvokeLeavesTheTwoConcurrent()
    {
        // The tie rule: complete(put) == invoke(get) does not order them, so absent is allowed ...
        KvHistory tied = new HistoryBuilder().Put(client: 1, 0, 5, "a").Get(client: 2, 5, 6, null).Build();
        LinearizabilityResult tiedResult = checker.Check(tied);
        Assert.True(tiedResult.IsLinearizable, tiedResult.Explanation);

        // ... while one tick later the put strictly precedes the get.
        KvHistory ordered = new HistoryBuilder().Put(client: 1, 0, 5, "a").Get(client: 2, 6, 7, null).Build();
        Assert.Equal(Verdict.NotLinearizable, checker.Check(ordered).Verdict);
    }

    [Fact]
    public void KeysAreCheckedIndependentlyAndTheFailingKeyIsNamed()
    {
        // Key x alone is fine, key y alone is not; a checker that mixed keys would accept y's
        // read of "1" because x was written "1".
        KvHistory history = new HistoryBuilder()
            .Put(client: 1, 0, 1, "1", key: "x")
            .Get(client: 2, 2, 3, "1", key: "x")
            .Get(client: 3, 2, 3, "1", key: "y")
            .Build();

        LinearizabilityResult result = checker.Check(history);

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal("y", result.Key);
    }
}
