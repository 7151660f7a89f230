using Backbone.Store.Model;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Mvcc;

/// <summary>
/// Every compare target and result against one seeded store. Each case runs a read-only txn, so the
/// store is shared (an empty store is at revision 1): rev 2 x=0; lease 9; rev 3 a="m" (lease 9);
/// rev 4 a="m" (lease 9); rev 5 r/1=1; rev 6 r/2=2; rev 7 r/2=2; rev 8 gone=g; rev 9 gone deleted.
/// So a: create 3, mod 4, version 2, value "m", lease 9; r/1: create 5, mod 5, v1; r/2: create 6, mod 7, v2.
/// </summary>
public sealed class TxnCompareTests(TxnCompareTests.SeededStore seeded) : IClassFixture<TxnCompareTests.SeededStore>
{
    private readonly StoreEngine engine = seeded.Engine;

    [Theory]
    [InlineData(CompareTarget.Version, CompareResult.Equal, 2L, true)]
    [InlineData(CompareTarget.Version, CompareResult.Equal, 1L, false)]
    [InlineData(CompareTarget.Version, CompareResult.Greater, 1L, true)]
    [InlineData(CompareTarget.Version, CompareResult.Greater, 2L, false)]
    [InlineData(CompareTarget.Version, CompareResult.Less, 3L, true)]
    [InlineData(CompareTarget.Version, CompareResult.Less, 2L, false)]
    [InlineData(CompareTarget.Version, CompareResult.NotEqual, 1L, true)]
    [InlineData(CompareTarget.Version, CompareResult.NotEqual, 2L, false)]
    [InlineData(CompareTarget.Create, CompareResult.Equal, 3L, true)]
    [InlineData(CompareTarget.Create, CompareResult.Equal, 4L, false)]
    [InlineData(CompareTarget.Create, CompareResult.Greater, 2L, true)]
    [InlineData(CompareTarget.Create, CompareResult.Greater, 3L, false)]
    [InlineData(CompareTarget.Create, CompareResult.Less, 4L, true)]
    [InlineData(CompareTarget.Create, CompareResult.Less, 3L, false)]
    [InlineData(CompareTarget.Create, CompareResult.NotEqual, 4L, true)]
    [InlineData(CompareTarget.Create, CompareResult.NotEqual, 3L, false)]
    [InlineData(CompareTarget.Mod, CompareResult.Equal, 4L, true)]
    [InlineData(CompareTarget.Mod, CompareResult.Equal, 3L, false)]
    [InlineData(CompareTarget.Mod, CompareResult.Greater, 3L, true)]
    [InlineData(CompareTarget.Mod, CompareResult.Greater, 4L, false)]
    [InlineData(CompareTarget.Mod, CompareResult.Less, 5L, true)]
    [InlineData(CompareTarget.Mod, CompareResult.Less, 4L, false)]
    [InlineData(CompareTarget.Mod, CompareResult.NotEqual, 5L, true)]
    [InlineData(CompareTarget.Mod, CompareResult.NotEqual, 4L, false)]
    [InlineData(CompareTarget.Lease, CompareResult.Equal, 9L, true)]
    [InlineData(CompareTarget.Lease, CompareResult.Equal, 0L, false)]
    [InlineData(CompareTarget.Lease, CompareResult.Greater, 8L, true)]
    [InlineData(CompareTarget.Lease, CompareResult.Greater, 9L, false)]
    [InlineData(CompareTarget.Lease, CompareResult.Less, 10L, true)]
    [InlineData(CompareTarget.Lease, CompareResult.Less, 9L, false)]
    [InlineData(CompareTarget.Lease, CompareResult.NotEqual, 0L, true)]
    [InlineData(CompareTarget.Lease, CompareResult.NotEqual, 9L, false)]
    public async Task NumberTargets(CompareTarget target, CompareResult result, long number, bool holds)
    {
        await AssertHolds(holds, Cmp("a", target, result, number));
    }

    [Theory]
    [InlineData(CompareResult.Equal, "m", true)]
    [InlineData(CompareResult.Equal, "n", false)]
    [InlineData(CompareResult.Equal, "", false)]
    [InlineData(CompareResult.Greater, "l", true)]
    [InlineData(CompareResult.Greater, "", true)]
    [InlineData(CompareResult.Greater, "m", false)]
    [InlineData(CompareResult.Greater, "ma", false)]
    [InlineData(CompareResult.Less, "n", true)]
    [InlineData(CompareResult.Less, "ma", true)]
    [InlineData(CompareResult.Less, "m", false)]
    [InlineData(CompareResult.NotEqual, "x", true)]
    [InlineData(CompareResult.NotEqual, "m", false)]
    public async Task ValueTarget(CompareResult result, string value, bool holds)
    {
        await AssertHolds(holds, Cmp("a", CompareTarget.Value, result, value: value));
    }

    [Theory]
    [InlineData(CompareTarget.Version, CompareResult.Equal, 0L, true)]
    [InlineData(CompareTarget.Version, CompareResult.Greater, 0L, false)]
    [InlineData(CompareTarget.Create, CompareResult.Equal, 0L, true)]
    [InlineData(CompareTarget.Create, CompareResult.Less, 1L, true)]
    [InlineData(CompareTarget.Mod, CompareResult.Equal, 0L, true)]
    [InlineData(CompareTarget.Mod, CompareResult.NotEqual, 0L, false)]
    [InlineData(CompareTarget.Lease, CompareResult.Equal, 0L, true)]
    [InlineData(CompareTarget.Lease, CompareResult.Greater, 0L, false)]
    public async Task AMissingKeyComparesAsZeros(CompareTarget target, CompareResult result, long number, bool holds)
    {
        await AssertHolds(holds, Cmp("missing", target, result, number));
    }

    [Theory]
    [InlineData(CompareResult.Equal, "")]
    [InlineData(CompareResult.NotEqual, "x")]
    [InlineData(CompareResult.NotEqual, "")]
    [InlineData(CompareResult.Less, "z")]
    [InlineData(CompareResult.Greater, "")]
    public async Task AValueCompareOnAMissingKeyFails(CompareResult result, string value)
    {
        await AssertHolds(false, Cmp("missing", CompareTarget.Value, result, value: value));
    }

    [Fact]
    public async Task ADeletedKeyIsMissing()
    {
        await AssertHolds(true, Cmp("gone", CompareTarget.Version, CompareResult.Equal, 0));
        await AssertHolds(false, Cmp("gone", CompareTarget.Value, CompareResult.Equal, value: "g"));
    }

    [Theory]
    [InlineData(CompareTarget.Version, CompareResult.Greater, 0L, true)]
    [InlineData(CompareTarget.Version, CompareResult.Equal, 1L, false)] // r/2 is at version 2
    [InlineData(CompareTarget.Version, CompareResult.Less, 3L, true)]
    [InlineData(CompareTarget.Create, CompareResult.Greater, 4L, true)]
    [InlineData(CompareTarget.Create, CompareResult.Equal, 5L, false)] // r/2 was created at 6
    [InlineData(CompareTarget.Mod, CompareResult.Less, 7L, false)] // r/2 was modified at 7
    [InlineData(CompareTarget.Mod, CompareResult.Less, 8L, true)]
    [InlineData(CompareTarget.Lease, CompareResult.Equal, 0L, true)]
    public async Task ARangeHoldsOnlyWhenEveryKeyHolds(CompareTarget target, CompareResult result, long number, bool holds)
    {
        await AssertHolds(holds, Cmp("r/", target, result, number, rangeEnd: "r0"));
    }

    [Fact]
    public async Task ARangeValueCompareHoldsOnlyWhenEveryValueDoes()
    {
        await AssertHolds(true, Cmp("r/", CompareTarget.Value, CompareResult.Greater, value: "0", rangeEnd: "r0"));
        await AssertHolds(false, Cmp("r/", CompareTarget.Value, CompareResult.Equal, value: "1", rangeEnd: "r0"));
        await AssertHolds(true, Cmp("r/", CompareTarget.Value, CompareResult.Less, value: "3", rangeEnd: "r0"));
    }

    [Fact]
    public async Task AnEmptyRangeComparesAsZerosButFailsOnValue()
    {
        await AssertHolds(true, Cmp("s/", CompareTarget.Version, CompareResult.Equal, 0, rangeEnd: "s0"));
        await AssertHolds(false, Cmp("s/", CompareTarget.Mod, CompareResult.Greater, 0, rangeEnd: "s0"));
        await AssertHolds(false, Cmp("s/", CompareTarget.Value, CompareResult.NotEqual, value: "x", rangeEnd: "s0"));
    }

    [Fact]
    public async Task EveryCompareMustHold()
    {
        await AssertHolds(true, Cmp("a", CompareTarget.Version, CompareResult.Equal, 2), Cmp("x", CompareTarget.Value, CompareResult.Equal, value: "0"));
        await AssertHolds(false, Cmp("a", CompareTarget.Version, CompareResult.Equal, 2), Cmp("x", CompareTarget.Value, CompareResult.Equal, value: "1"));
        await AssertHolds(false, Cmp("a", CompareTarget.Version, CompareResult.Equal, 3), Cmp("x", CompareTarget.Value, CompareResult.Equal, value: "0"));
        await AssertHolds(true); // no compares: success
    }

    /// <summary>Runs the compares with a read of "a" on success and of "x" on failure; checks the branch taken.</summary>
    private async Task AssertHolds(bool holds, params Compare[] compares)
    {
        long before = engine.Revision;

        TxnResult result = await engine.TxnAsync(compares, [RangeOp("a")], [RangeOp("x"), RangeOp("a")]);

        Assert.Equal(holds, result.Succeeded);
        Assert.Equal(holds ? 1 : 2, result.Responses.Count);
        RangeResult first = Assert.IsType<RangeResult>(result.Responses[0].Range);
        Assert.Equal(holds ? "a" : "x", S(Assert.Single(first.Kvs).Key));
        Assert.Equal(before, engine.Revision);
    }

    public sealed class SeededStore : IAsyncLifetime
    {
        private readonly TempDir dir = new();

        public StoreEngine Engine { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Engine = StoreEngine.Open(dir.Fast());
            await Engine.PutAsync("x", "0");
            await Engine.LeaseGrantAsync(9, 3600, CancellationToken.None);
            await Engine.PutAsync("a", "m", lease: 9);
            await Engine.PutAsync("a", "m", lease: 9);
            await Engine.PutAsync("r/1", "1");
            await Engine.PutAsync("r/2", "2");
            await Engine.PutAsync("r/2", "2");
            await Engine.PutAsync("gone", "g");
            await Engine.DeleteAsync("gone");
        }

        public async Task DisposeAsync()
        {
            await Engine.DisposeAsync();
            dir.Dispose();
        }
    }
}
