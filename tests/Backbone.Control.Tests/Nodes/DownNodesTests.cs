using Backbone.Control.Nodes;

namespace Backbone.Control.Tests.Nodes;

public sealed class DownNodesTests
{
    private static ReachRecord Report(string reporter, params string[] unreachable) => new() { ReporterId = reporter, Unreachable = unreachable };

    [Fact]
    public void ADeadNodeIsDownOnceMostOfTheOthersSaySo()
    {
        Assert.Empty(DownNodes.From([Report("a"), Report("b"), Report("c", "x")]));  // one of three: not yet
        Assert.Equal(["c"], DownNodes.From([Report("a", "c"), Report("b", "c")])); // c's own report went with its lease
        Assert.Equal(["c"], DownNodes.From([Report("a", "c"), Report("b", "c"), Report("c", "a", "b")])); // or lingers until its lease runs out
        Assert.Empty(DownNodes.From([Report("a", "b"), Report("b", "a")])); // two nodes: one against one, until a lease runs out
    }

    [Fact]
    public void AnIsolatedNodeCannotTakeTheOthersDown()
    {
        // a is cut off: it reports everyone; everyone reports a.
        IReadOnlySet<string> down = DownNodes.From([Report("a", "b", "c", "d"), Report("b", "a"), Report("c", "a"), Report("d", "a")]);
        Assert.Equal(["a"], down);
    }

    [Fact]
    public void ASplitWithoutAMajorityTakesNobodyDown()
    {
        // Two against two: no side has more than half of the others.
        IReadOnlySet<string> down = DownNodes.From([Report("a", "c", "d"), Report("b", "c", "d"), Report("c", "a", "b"), Report("d", "a", "b")]);
        Assert.Empty(down);
        Assert.Empty(DownNodes.From([]));
    }
}
