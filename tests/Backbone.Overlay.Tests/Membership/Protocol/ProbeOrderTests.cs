using Backbone.Overlay.Membership.Protocol;

namespace Backbone.Overlay.Tests.Membership.Protocol;

public sealed class ProbeOrderTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(7, 2)]
    [InlineData(40, 2)]
    [InlineData(41, 3)]
    [InlineData(100, 10)]
    public void EveryMemberIsTakenAtLeastOnceEverySweepOfPeriods(int members, int sweepPeriods)
    {
        var order = new ProbeOrder(new Random(members));
        for (int i = 0; i < members; i++)
        {
            order.Add($"m{i}");
        }

        int perPeriod = ProbeOrder.PerPeriod(members, sweepPeriods);
        var last = new Dictionary<string, int>();
        var taken = new List<string>();
        for (int period = 0; period < 5 * sweepPeriods + 5; period++)
        {
            taken.Clear();
            order.TakeNext(perPeriod, taken);
            Assert.Equal(perPeriod, taken.Distinct().Count());
            foreach (string id in taken)
            {
                if (last.TryGetValue(id, out int previous))
                {
                    Assert.True(period - previous <= sweepPeriods, $"{id}: {period - previous} periods between probes");
                }

                last[id] = period;
            }
        }

        Assert.Equal(members, last.Count);
    }

    [Fact]
    public void AddingAndRemovingKeepsTheNextMemberAndEachMemberOnce()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            ProbeOrder reference = Make(seed);
            ProbeOrder changed = Make(seed);
            var passed = new List<string>();
            reference.TakeNext(2, []);
            changed.TakeNext(2, passed);

            // One behind the cursor goes, one comes in somewhere: the next member is still the next.
            changed.Remove(passed[0]);
            changed.Add("e");
            changed.Remove("not a member");
            var next = new List<string>();
            reference.TakeNext(1, next);
            var nextChanged = new List<string>();
            changed.TakeNext(1, nextChanged);
            Assert.Equal(next, nextChanged);

            var pass = new List<string>();
            changed.TakeNext(10, pass); // at most one pass, each member once
            Assert.Equal(new[] { "a", "b", "c", "d", "e" }.Except([passed[0]]), pass.Order());
        }
    }

    private static ProbeOrder Make(int seed)
    {
        var order = new ProbeOrder(new Random(seed));
        foreach (string id in new[] { "a", "b", "c", "d" })
        {
            order.Add(id);
        }

        return order;
    }

    [Fact]
    public void PerPeriodRoundsUp()
    {
        Assert.Equal(0, ProbeOrder.PerPeriod(0, 2));
        Assert.Equal(1, ProbeOrder.PerPeriod(1, 2));
        Assert.Equal(1, ProbeOrder.PerPeriod(2, 2));
        Assert.Equal(2, ProbeOrder.PerPeriod(3, 2));
        Assert.Equal(50, ProbeOrder.PerPeriod(99, 2));
    }
}
