using Backbone.Core;
using Backbone.Store.Model;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Mvcc;

/// <summary>etcd's Range: key ranges, revision reads, limit/more/count, sorting, filters, keys_only, count_only.</summary>
public sealed class RangeTests
{
    /// <summary>
    /// An empty store is at revision 1 (etcd), so the first write is 2.
    /// rev 2: a=3   rev 3: b=1   rev 4: c=2   rev 5: a=33 (a v2)   rev 6: d=0   rev 7: b=11 (b v2)   rev 8: b=111 (b v3).
    /// So at rev 8: a(create 2, mod 5, v2), b(create 3, mod 8, v3), c(create 4, mod 4, v1), d(create 6, mod 6, v1).
    /// </summary>
    private static async Task<StoreEngine> OpenSeededAsync(TempDir dir)
    {
        StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "3");
        await engine.PutAsync("b", "1");
        await engine.PutAsync("c", "2");
        await engine.PutAsync("a", "33");
        await engine.PutAsync("d", "0");
        await engine.PutAsync("b", "11");
        await engine.PutAsync("b", "111");
        return engine;
    }

    private static RangeResult All(StoreEngine engine, Func<RangeRequest, RangeRequest>? shape = null)
    {
        RangeRequest request = new() { Key = [0], RangeEnd = [0] };
        return engine.Range(shape is null ? request : shape(request));
    }

    private static string[] KeysOf(RangeResult result) => [.. result.Kvs.Select(kv => S(kv.Key))];

    [Fact]
    public async Task KeyRanges()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);
        await engine.PutAsync("ab", "x");
        await engine.PutAsync("abc", "x");

        Assert.Equal(["ab"], KeysOf(engine.Range(new RangeRequest { Key = B("ab") })));
        Assert.Equal(["a", "ab", "abc", "b"], KeysOf(engine.Range(new RangeRequest { Key = B("a"), RangeEnd = B("c") })));
        Assert.Equal(["ab", "abc"], KeysOf(engine.Range(new RangeRequest { Key = B("ab"), RangeEnd = KeyRange.PrefixEnd(B("ab")) })));
        Assert.Equal(["b", "c", "d"], KeysOf(engine.Range(new RangeRequest { Key = B("b"), RangeEnd = [0] })));
        Assert.Equal(["a", "ab", "abc", "b", "c", "d"], KeysOf(engine.Range(new RangeRequest { Key = [0], RangeEnd = [0] })));
        Assert.Empty(engine.Range(new RangeRequest { Key = B("c"), RangeEnd = B("a") }).Kvs);
        Assert.Empty(engine.Range(new RangeRequest { Key = B("c"), RangeEnd = B("c") }).Kvs);
        Assert.Empty(engine.Range(new RangeRequest { Key = B("zz") }).Kvs);
    }

    [Fact]
    public async Task ResultCarriesTheCurrentRevisionAndFullKeyValues()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);

        RangeResult result = engine.Range(new RangeRequest { Key = B("b") });

        Assert.Equal(8, result.Revision);
        Assert.Equal(1, result.Count);
        Assert.False(result.More);
        KeyValue b = Assert.Single(result.Kvs);
        Assert.Equal(("b", "111", 3L, 8L, 3L, 0L), (S(b.Key), S(b.Value), b.CreateRevision, b.ModRevision, b.Version, b.Lease));
    }

    [Fact]
    public async Task EmptyKeyIsRefused()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());

        Assert.Equal(StoreError.KeyNotProvided, ErrorOf(() => engine.Range(new RangeRequest { Key = [] })));
        Assert.Equal(StoreError.InvalidSortOption, ErrorOf(() => engine.Range(new RangeRequest { Key = B("a"), SortOrder = (SortOrder)9 })));
        Assert.Equal(StoreError.InvalidSortOption, ErrorOf(() => engine.Range(new RangeRequest { Key = B("a"), SortTarget = (SortTarget)9 })));
    }

    [Fact]
    public async Task LimitSetsMoreAndCountIsTakenBeforeTheLimit()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);

        RangeResult two = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, Limit = 2 });
        RangeResult four = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, Limit = 4 });
        RangeResult ten = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, Limit = 10 });

        Assert.Equal(["a", "b"], KeysOf(two));
        Assert.True(two.More);
        Assert.Equal(4, two.Count);
        Assert.Equal(4, four.Kvs.Count);
        Assert.False(four.More);
        Assert.Equal(4, four.Count);
        Assert.False(ten.More);
        Assert.Equal(4, ten.Count);
    }

    [Fact]
    public async Task ReadsAtOldRevisionsSeeOldValues()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);
        await engine.DeleteAsync("c"); // rev 9

        Assert.Empty(engine.Keys(revision: 1));
        Assert.Equal("3", S(engine.Get("a", revision: 2)!.Value));
        Assert.Equal("3", S(engine.Get("a", revision: 4)!.Value));
        Assert.Equal("33", S(engine.Get("a", revision: 5)!.Value));
        Assert.Null(engine.Get("b", revision: 2));
        KeyValue b7 = engine.Get("b", revision: 7)!;
        Assert.Equal(("11", 3L, 7L, 2L), (S(b7.Value), b7.CreateRevision, b7.ModRevision, b7.Version));
        Assert.Equal("2", S(engine.Get("c", revision: 8)!.Value));
        Assert.Null(engine.Get("c", revision: 9));
        Assert.Equal(["a", "b", "c"], engine.Keys(revision: 4));
        Assert.Equal(["a", "b", "d"], engine.Keys(revision: 9));

        RangeResult old = engine.Range(new RangeRequest { Key = B("a"), Revision = 3 });
        Assert.Equal(9, old.Revision); // the header always reports the current revision
    }

    [Fact]
    public async Task FutureRevisionIsRefused()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);

        Assert.Equal(StoreError.FutureRevision, ErrorOf(() => engine.Range(new RangeRequest { Key = B("a"), Revision = 9 })));
        Assert.NotNull(engine.Get("a", revision: 8));
    }

    [Fact]
    public async Task CompactedRevisionIsRefused()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);
        await engine.CompactAsync(5, physical: false, CancellationToken.None);

        Assert.Equal(StoreError.Compacted, ErrorOf(() => engine.Range(new RangeRequest { Key = B("a"), Revision = 4 })));
        Assert.Equal(StoreError.Compacted, ErrorOf(() => engine.Range(new RangeRequest { Key = B("a"), Revision = 1 })));
        Assert.Equal("33", S(engine.Get("a", revision: 5)!.Value));
    }

    [Theory]
    [InlineData(SortOrder.Ascend, SortTarget.Key, new[] { "a", "b", "c", "d" })]
    [InlineData(SortOrder.Descend, SortTarget.Key, new[] { "d", "c", "b", "a" })]
    [InlineData(SortOrder.Ascend, SortTarget.Version, new[] { "c", "d", "a", "b" })]
    [InlineData(SortOrder.Descend, SortTarget.Version, new[] { "b", "a", "c", "d" })]
    [InlineData(SortOrder.Ascend, SortTarget.Create, new[] { "a", "b", "c", "d" })]
    [InlineData(SortOrder.Descend, SortTarget.Create, new[] { "d", "c", "b", "a" })]
    [InlineData(SortOrder.Ascend, SortTarget.Mod, new[] { "c", "a", "d", "b" })]
    [InlineData(SortOrder.Descend, SortTarget.Mod, new[] { "b", "d", "a", "c" })]
    [InlineData(SortOrder.Ascend, SortTarget.Value, new[] { "d", "b", "c", "a" })]
    [InlineData(SortOrder.Descend, SortTarget.Value, new[] { "a", "c", "b", "d" })]
    [InlineData(SortOrder.None, SortTarget.Key, new[] { "a", "b", "c", "d" })]
    // A target without an order means ascending (etcd), not "unsorted".
    [InlineData(SortOrder.None, SortTarget.Mod, new[] { "c", "a", "d", "b" })]
    [InlineData(SortOrder.None, SortTarget.Value, new[] { "d", "b", "c", "a" })]
    public async Task SortOrderAndTarget(SortOrder order, SortTarget target, string[] expected)
    {
        // Values: a=33, b=111, c=2, d=0, compared as bytes: "0" < "111" < "2" < "33".
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);

        RangeResult result = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, SortOrder = order, SortTarget = target });

        Assert.Equal(expected, KeysOf(result));
    }

    [Fact]
    public async Task SortHappensBeforeTheLimit()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);

        RangeResult result = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, SortOrder = SortOrder.Descend, SortTarget = SortTarget.Mod, Limit = 2 });

        Assert.Equal(["b", "d"], KeysOf(result));
        Assert.True(result.More);
        Assert.Equal(4, result.Count);
    }

    [Fact]
    public async Task KeysOnlyDropsValuesEvenWhenSortingByValue()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);

        RangeResult plain = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, KeysOnly = true });
        RangeResult byValue = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, KeysOnly = true, SortOrder = SortOrder.Descend, SortTarget = SortTarget.Value });

        Assert.Equal(["a", "b", "c", "d"], KeysOf(plain));
        Assert.All(plain.Kvs, kv => Assert.Empty(kv.Value));
        Assert.Equal(8, plain.Kvs[1].ModRevision);
        Assert.Equal(3, plain.Kvs[1].Version);
        Assert.Equal(["a", "c", "b", "d"], KeysOf(byValue));
        Assert.All(byValue.Kvs, kv => Assert.Empty(kv.Value));
    }

    [Fact]
    public async Task CountOnlyReturnsNoKeys()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);

        RangeResult all = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, CountOnly = true });
        RangeResult limited = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, CountOnly = true, Limit = 1 });
        RangeResult old = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, CountOnly = true, Revision = 3 });

        Assert.Empty(all.Kvs);
        Assert.Equal(4, all.Count);
        Assert.Equal(4, limited.Count);
        Assert.Empty(limited.Kvs);
        Assert.Equal(2, old.Count);
    }

    [Theory]
    [InlineData(6L, 0L, 0L, 0L, new[] { "b", "d" })]
    [InlineData(0L, 5L, 0L, 0L, new[] { "a", "c" })]
    [InlineData(5L, 6L, 0L, 0L, new[] { "a", "d" })]
    [InlineData(0L, 0L, 4L, 0L, new[] { "c", "d" })]
    [InlineData(0L, 0L, 0L, 3L, new[] { "a", "b" })]
    [InlineData(0L, 0L, 3L, 4L, new[] { "b", "c" })]
    [InlineData(5L, 0L, 0L, 3L, new[] { "a", "b" })]
    [InlineData(9L, 0L, 0L, 0L, new string[0])]
    public async Task ModAndCreateRevisionFilters(long minMod, long maxMod, long minCreate, long maxCreate, string[] expected)
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);

        RangeResult result = All(engine, r => new RangeRequest
        {
            Key = r.Key,
            RangeEnd = r.RangeEnd,
            MinModRevision = minMod,
            MaxModRevision = maxMod,
            MinCreateRevision = minCreate,
            MaxCreateRevision = maxCreate,
        });

        Assert.Equal(expected, KeysOf(result));
        Assert.Equal(4, result.Count); // etcd counts the range before filtering
    }

    [Fact]
    public async Task FiltersApplyBeforeTheLimit()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);

        RangeResult one = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, MinCreateRevision = 3, Limit = 1 });
        RangeResult three = All(engine, r => new RangeRequest { Key = r.Key, RangeEnd = r.RangeEnd, MinCreateRevision = 3, Limit = 3 });

        Assert.Equal(["b"], KeysOf(one));
        Assert.True(one.More);
        Assert.Equal(["b", "c", "d"], KeysOf(three));
        Assert.False(three.More);
    }

    [Fact]
    public async Task ArbitraryBinaryKeysAndValues()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        byte[] key = [0x00, 0xff, 0x10, 0x00];
        byte[] value = [0x00, 0x00, 0xfe];

        await engine.PutAsync(new PutRequest { Key = key, Value = value }, CancellationToken.None);
        await engine.PutAsync(new PutRequest { Key = [0x00], Value = [] }, CancellationToken.None);

        KeyValue got = Assert.Single(engine.Range(new RangeRequest { Key = key }).Kvs);
        Assert.Equal(value, got.Value);
        KeyValue empty = Assert.Single(engine.Range(new RangeRequest { Key = [0x00] }).Kvs);
        Assert.Empty(empty.Value);
        Assert.Equal(2, engine.Range(new RangeRequest { Key = [0x00], RangeEnd = KeyRange.PrefixEnd([0x00]) }).Count);
    }
}
