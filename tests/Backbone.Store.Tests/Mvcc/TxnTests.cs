using Backbone.Core;
using Backbone.Store.Model;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Mvcc;

/// <summary>etcd's Txn: branches, nested txns, reads of the txn's own writes, op limits, the duplicate-key rule, refusal.</summary>
public sealed class TxnTests
{
    [Fact]
    public async Task SuccessAndFailureBranchesRunTheirOps()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");

        TxnResult failed = await engine.TxnAsync(
            [Cmp("a", CompareTarget.Value, CompareResult.Equal, value: "2")],
            [PutOp("then", "1")],
            [PutOp("else", "1"), RangeOp("a"), DeleteOp("a")]);

        Assert.False(failed.Succeeded);
        Assert.Equal(3, failed.Responses.Count);
        Assert.NotNull(failed.Responses[0].Put);
        Assert.Equal("1", S(Assert.Single(failed.Responses[1].Range!.Kvs).Value));
        Assert.Equal(1, failed.Responses[2].DeleteRange!.Deleted);
        Assert.Equal(["else"], engine.Keys());
        Assert.Equal(3, failed.Revision);

        TxnResult succeeded = await engine.TxnAsync([Cmp("a", CompareTarget.Version, CompareResult.Equal, 0)], [PutOp("then", "1")], [PutOp("x", "1")]);

        Assert.True(succeeded.Succeeded);
        Assert.Equal(["else", "then"], engine.Keys());
    }

    [Fact]
    public async Task ReadsInsideATxnSeeItsEarlierWrites()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "old");
        await engine.PutAsync("b", "old");

        TxnResult txn = await engine.TxnAsync(
            [],
            [
                RangeOp("a"),
                PutOp("a", "new"),
                RangeOp("a"),
                DeleteOp("b"),
                RangeOp("a", "z"),
                new RequestOp { Put = new PutRequest { Key = B("c"), Value = B("c"), PrevKv = true } },
                RangeOp("a", "z"),
            ]);

        KeyValue before = Assert.Single(txn.Responses[0].Range!.Kvs);
        Assert.Equal(("old", 2L), (S(before.Value), before.ModRevision));
        Assert.Equal(3, txn.Responses[0].Range!.Revision); // a read before the txn's first write sees the revision before it
        KeyValue after = Assert.Single(txn.Responses[2].Range!.Kvs);
        Assert.Equal(("new", 4L, 2L), (S(after.Value), after.ModRevision, after.Version));
        Assert.Equal(4, txn.Responses[2].Range!.Revision);
        Assert.Equal(["a"], txn.Responses[4].Range!.Kvs.Select(kv => S(kv.Key)));
        Assert.Null(txn.Responses[5].Put!.PrevKv);
        Assert.Equal(["a", "c"], txn.Responses[6].Range!.Kvs.Select(kv => S(kv.Key)));
        Assert.Equal(4, txn.Revision);
    }

    [Fact]
    public async Task NestedTxnsRunTheBranchTheirComparesChoose()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");

        TxnResult txn = await engine.TxnAsync(
            [],
            [
                PutOp("outer", "1"),
                TxnOp([Cmp("a", CompareTarget.Value, CompareResult.Equal, value: "1")], [PutOp("inner-then", "1")], [PutOp("inner-else", "1")]),
                TxnOp([Cmp("a", CompareTarget.Value, CompareResult.Equal, value: "9")], [PutOp("second-then", "1")], [TxnOp([], [PutOp("deep", "1")])]),
            ]);

        Assert.True(txn.Succeeded);
        TxnResult first = txn.Responses[1].Txn!;
        TxnResult second = txn.Responses[2].Txn!;
        Assert.True(first.Succeeded);
        Assert.False(second.Succeeded);
        Assert.True(Assert.Single(second.Responses).Txn!.Succeeded);
        Assert.Equal(["a", "deep", "inner-then", "outer"], engine.Keys());
        Assert.Equal(3, engine.Revision);
        Assert.All(["deep", "inner-then", "outer"], key => Assert.Equal(3, engine.Get(key)!.ModRevision));
    }

    [Fact]
    public async Task NestedComparesSeeTheStoreAsTheTxnFoundIt()
    {
        // etcd decides every branch (compareToPath) before the txn writes anything.
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");

        TxnResult txn = await engine.TxnAsync(
            [],
            [
                PutOp("a", "2"),
                TxnOp([Cmp("a", CompareTarget.Value, CompareResult.Equal, value: "1")], [PutOp("saw-old", "1")], [PutOp("saw-new", "1")]),
            ]);

        Assert.True(txn.Responses[1].Txn!.Succeeded);
        Assert.Equal(["a", "saw-old"], engine.Keys());
    }

    [Fact]
    public async Task AtMost128OpsPerList()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        RequestOp[] Puts(int n) => [.. Enumerable.Range(0, n).Select(i => PutOp($"k{i:D3}", "v"))];
        Compare[] Compares(int n) => [.. Enumerable.Range(0, n).Select(i => Cmp($"k{i:D3}", CompareTarget.Version, CompareResult.Equal, 0))];

        Assert.Equal(StoreError.TooManyOps, await ErrorOfAsync(() => engine.TxnAsync([], Puts(StoreLimits.MaxTxnOps + 1))));
        Assert.Equal(StoreError.TooManyOps, await ErrorOfAsync(() => engine.TxnAsync([], [], Puts(StoreLimits.MaxTxnOps + 1))));
        Assert.Equal(StoreError.TooManyOps, await ErrorOfAsync(() => engine.TxnAsync(Compares(StoreLimits.MaxTxnOps + 1), [])));
        Assert.Equal(StoreError.TooManyOps, await ErrorOfAsync(() => engine.TxnAsync([], [TxnOp([], Puts(StoreLimits.MaxTxnOps + 1))])));
        Assert.Equal(1, engine.Revision);

        TxnResult full = await engine.TxnAsync(Compares(StoreLimits.MaxTxnOps), Puts(StoreLimits.MaxTxnOps));

        Assert.True(full.Succeeded);
        Assert.Equal(StoreLimits.MaxTxnOps, engine.Range(new RangeRequest { Key = B("k"), RangeEnd = B("l"), CountOnly = true }).Count);
        Assert.Equal(2, engine.Revision);
    }

    public static TheoryData<string, RequestOp[]> DuplicateKeyCases => new()
    {
        { "put twice", [PutOp("a", "1"), PutOp("a", "2")] },
        { "put inside a deleted range", [DeleteOp("a", "c"), PutOp("b", "1")] },
        { "put before deleting it", [PutOp("b", "1"), DeleteOp("b")] },
        { "put inside an all-keys delete", [DeleteOp("a", "\0"), PutOp("z", "1")] },
        { "nested put and outer put", [PutOp("a", "1"), TxnOp([], [PutOp("a", "2")])] },
        { "nested else put and outer put", [PutOp("a", "1"), TxnOp([], [], [PutOp("a", "2")])] },
        { "nested delete and outer put", [PutOp("a", "1"), TxnOp([], [DeleteOp("a")])] },
        { "outer delete and nested put", [DeleteOp("a"), TxnOp([], [PutOp("a", "2")])] },
        { "two nested txns put the same key", [TxnOp([], [PutOp("a", "1")]), TxnOp([], [PutOp("a", "2")])] },
        { "put twice in one nested branch", [TxnOp([], [PutOp("a", "1"), PutOp("a", "2")])] },
    };

    [Theory]
    [MemberData(nameof(DuplicateKeyCases))]
    public async Task DuplicateKeysAreRefused(string why, RequestOp[] ops)
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "0");

        Assert.True(StoreError.DuplicateKey == await ErrorOfAsync(() => engine.TxnAsync([], ops)), why);
        Assert.True(StoreError.DuplicateKey == await ErrorOfAsync(() => engine.TxnAsync([], [], ops)), why + " (failure branch)");
        Assert.Equal(2, engine.Revision);
    }

    [Fact]
    public async Task TheBranchesOfANestedTxnMayPutTheSameKey()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());

        TxnResult txn = await engine.TxnAsync(
            [],
            [TxnOp([Cmp("a", CompareTarget.Version, CompareResult.Greater, 0)], [PutOp("a", "then")], [PutOp("a", "else")])]);
        TxnResult again = await engine.TxnAsync(
            [],
            [TxnOp([Cmp("a", CompareTarget.Version, CompareResult.Greater, 0)], [PutOp("a", "then")], [PutOp("a", "else")])]);

        Assert.False(txn.Responses[0].Txn!.Succeeded);
        Assert.True(again.Responses[0].Txn!.Succeeded);
        Assert.Equal("then", S(engine.Get("a")!.Value));
        Assert.Equal(2, engine.Get("a")!.Version);
    }

    [Fact]
    public async Task TheTopLevelBranchesMayPutTheSameKey()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());

        TxnResult txn = await engine.TxnAsync([], [PutOp("a", "then"), DeleteOp("b")], [PutOp("a", "else"), PutOp("b", "else")]);

        Assert.True(txn.Succeeded);
        Assert.Equal("then", S(engine.Get("a")!.Value));
    }

    [Fact]
    public async Task ARefusedTxnChangesNothing()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");

        StoreError error = await ErrorOfAsync(() => engine.TxnAsync(
            [],
            [PutOp("a", "changed"), DeleteOp("x"), TxnOp([], [PutOp("b", "1"), PutOp("c", "1", lease: 404)])]));

        Assert.Equal(StoreError.LeaseNotFound, error);
        Assert.Equal(2, engine.Revision);
        Assert.Equal(["a"], engine.Keys());
        Assert.Equal("1", S(engine.Get("a")!.Value));
        Assert.Equal(3, (await engine.PutAsync("d", "1")).Revision);
        Assert.Equal(["a", "d"], engine.Keys());
    }

    [Fact]
    public async Task AnIgnoreValuePutOfAMissingKeyRefusesTheWholeTxn()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");

        StoreError error = await ErrorOfAsync(() => engine.TxnAsync(
            [],
            [PutOp("a", "2"), new RequestOp { Put = new PutRequest { Key = B("missing"), IgnoreValue = true } }]));

        Assert.Equal(StoreError.KeyNotFound, error);
        Assert.Equal("1", S(engine.Get("a")!.Value));
        Assert.Equal(2, engine.Revision);
    }

    [Fact]
    public async Task AnUnknownLeaseInTheBranchNotTakenIsNotChecked()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());

        TxnResult txn = await engine.TxnAsync([], [PutOp("a", "1")], [PutOp("b", "1", lease: 404)]);

        Assert.True(txn.Succeeded);
        Assert.Equal(2, engine.Revision);
    }

    [Fact]
    public async Task AReadOnlyTxnIsServedAsAReadWithoutALogEntry()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");
        await engine.PutAsync("b", "2");
        long position = engine.Applier.AppliedPosition;

        TxnResult hit = await engine.TxnAsync([Cmp("a", CompareTarget.Value, CompareResult.Equal, value: "1")], [RangeOp("a"), RangeOp("b")], [RangeOp("x")]);
        TxnResult miss = await engine.TxnAsync([Cmp("a", CompareTarget.Mod, CompareResult.Greater, 2)], [RangeOp("x")], [RangeOp("a", revision: 2), RangeOp("b")]);
        TxnResult compareOnly = await engine.TxnAsync([Cmp("b", CompareTarget.Version, CompareResult.Equal, 1)], []);
        StoreError future = await ErrorOfAsync(() => engine.TxnAsync([], [RangeOp("a"), RangeOp("a", revision: 50)]));

        Assert.True(hit.Succeeded);
        Assert.Equal(["1", "2"], hit.Responses.Select(r => S(Assert.Single(r.Range!.Kvs).Value)));
        Assert.Equal(3, hit.Revision);
        Assert.False(miss.Succeeded);
        Assert.Equal(["1", "2"], miss.Responses.Select(r => S(Assert.Single(r.Range!.Kvs).Value)));
        Assert.True(compareOnly.Succeeded);
        Assert.Empty(compareOnly.Responses);
        Assert.Equal(StoreError.FutureRevision, future);
        // Nothing went through the log (etcd serves such txns without its log too)...
        Assert.Equal(position, engine.Applier.AppliedPosition);
        Assert.Equal(3, engine.Revision);

        // ...but a txn that may write does, even when the branch it takes only reads.
        TxnResult mayWrite = await engine.TxnAsync([Cmp("a", CompareTarget.Value, CompareResult.Equal, value: "1")], [RangeOp("a")], [PutOp("c", "1")]);
        Assert.True(mayWrite.Succeeded);
        Assert.True(engine.Applier.AppliedPosition > position);
        Assert.Equal(["a", "b"], engine.Keys());
    }

    [Fact]
    public async Task ARangeAtAFutureRevisionRefusesTheWholeTxn()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");

        StoreError error = await ErrorOfAsync(() => engine.TxnAsync([], [PutOp("a", "2"), RangeOp("a", revision: 50)]));

        Assert.Equal(StoreError.FutureRevision, error);
        Assert.Equal(2, engine.Revision);
        Assert.Equal("1", S(engine.Get("a")!.Value));
        PutResult next = await engine.PutAsync("a", "3"); // the store still takes writes
        Assert.Equal(3, next.Revision);
        Assert.Equal(2, engine.Get("a")!.Version);
    }

    [Fact]
    public async Task ARangeAtACompactedRevisionRefusesTheWholeTxn()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");
        await engine.PutAsync("a", "2");
        await engine.CompactAsync(3, physical: false, CancellationToken.None);

        StoreError error = await ErrorOfAsync(() => engine.TxnAsync([], [DeleteOp("a"), RangeOp("a", revision: 2)]));

        Assert.Equal(StoreError.Compacted, error);
        Assert.Equal(3, engine.Revision);
        Assert.Equal("2", S(engine.Get("a")!.Value));
        Assert.Equal(4, (await engine.PutAsync("b", "1")).Revision);
        Assert.Equal(["a", "b"], engine.Keys()); // no half-applied delete of "a" left behind at revision 3
        Assert.Equal(2, engine.Get("a")!.Version);
    }

    [Fact]
    public async Task ARangeAtAPastRevisionInsideATxnReadsHistory()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");
        await engine.PutAsync("a", "2");

        TxnResult txn = await engine.TxnAsync([], [PutOp("a", "3"), RangeOp("a", revision: 2), RangeOp("a", revision: 3)]);

        Assert.Equal("1", S(Assert.Single(txn.Responses[1].Range!.Kvs).Value));
        Assert.Equal("2", S(Assert.Single(txn.Responses[2].Range!.Kvs).Value));
        Assert.Equal("3", S(engine.Get("a")!.Value));
    }

    [Fact]
    public async Task TxnValidationRefusesEmptyKeys()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());

        Assert.Equal(StoreError.KeyNotProvided, await ErrorOfAsync(() => engine.TxnAsync([new Compare { Key = [] }], [])));
        Assert.Equal(StoreError.KeyNotProvided, await ErrorOfAsync(() => engine.TxnAsync([], [new RequestOp { Range = new RangeRequest { Key = [] } }])));
        Assert.Equal(StoreError.KeyNotProvided, await ErrorOfAsync(() => engine.TxnAsync([], [], [new RequestOp { Put = new PutRequest { Key = [] } }])));
        Assert.Equal(StoreError.ValueProvided, await ErrorOfAsync(() => engine.TxnAsync([], [TxnOp([], [new RequestOp { Put = new PutRequest { Key = B("a"), Value = B("v"), IgnoreValue = true } }])])));
    }
}
