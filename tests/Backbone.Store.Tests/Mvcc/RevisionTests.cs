using Backbone.Store.Model;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Mvcc;

/// <summary>etcd's revision rules: +1 per effective write, nothing for writes that change nothing.</summary>
public sealed class RevisionTests
{
    [Fact]
    public async Task EveryEffectiveWriteAddsOne()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        Assert.Equal(1, engine.Revision); // as etcd: an empty store is at revision 1

        Assert.Equal(2, (await engine.PutAsync("a", "1")).Revision);
        Assert.Equal(3, (await engine.PutAsync("b", "1")).Revision);
        Assert.Equal(4, (await engine.PutAsync("a", "2")).Revision);
        DeleteRangeResult deleted = await engine.DeleteAsync("a", "c");
        Assert.Equal(2, deleted.Deleted);
        Assert.Equal(5, deleted.Revision);
        TxnResult txn = await engine.TxnAsync([], [PutOp("x", "1"), PutOp("y", "1"), DeleteOp("a")]);
        Assert.Equal(6, txn.Revision);
        Assert.Equal(6, engine.Revision);
    }

    [Fact]
    public async Task DeleteOfNothingDoesNotBump()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");

        DeleteRangeResult none = await engine.DeleteAsync("zz");
        DeleteRangeResult noneInRange = await engine.DeleteAsync("b", "z");

        Assert.Equal(0, none.Deleted);
        Assert.Equal(2, none.Revision);
        Assert.Equal(0, noneInRange.Deleted);
        Assert.Equal(2, engine.Revision);
        Assert.Equal(3, (await engine.PutAsync("a", "2")).Revision);
    }

    [Fact]
    public async Task ReadOnlyAndNoOpTxnsDoNotBump()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");

        TxnResult empty = await engine.TxnAsync([], []);
        TxnResult reads = await engine.TxnAsync([Cmp("a", CompareTarget.Version, CompareResult.Equal, 1)], [RangeOp("a")], [RangeOp("b")]);
        TxnResult deletesNothing = await engine.TxnAsync([], [DeleteOp("nope"), RangeOp("a")]);

        Assert.Equal(2, empty.Revision);
        Assert.Equal(2, reads.Revision);
        Assert.True(reads.Succeeded);
        Assert.Equal(2, deletesNothing.Revision);
        Assert.Equal(2, engine.Revision);
    }

    [Fact]
    public async Task VersionRestartsAfterDeleteWithANewCreateRevision()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");
        await engine.PutAsync("a", "2");
        await engine.PutAsync("a", "3");
        KeyValue before = engine.Get("a")!;
        Assert.Equal((2L, 4L, 3L), (before.CreateRevision, before.ModRevision, before.Version));

        await engine.DeleteAsync("a");
        Assert.Null(engine.Get("a"));
        await engine.PutAsync("a", "again");

        KeyValue after = engine.Get("a")!;
        Assert.Equal((6L, 6L, 1L), (after.CreateRevision, after.ModRevision, after.Version));
        Assert.Equal("again", S(after.Value));
    }

    [Fact]
    public async Task ATxnsWritesShareOneRevision()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "0");

        TxnResult txn = await engine.TxnAsync([], [PutOp("a", "1"), PutOp("b", "1"), PutOp("c", "1")]);

        Assert.Equal(3, txn.Revision);
        Assert.All(["a", "b", "c"], key => Assert.Equal(3, engine.Get(key)!.ModRevision));
        Assert.Equal(2, engine.Get("a")!.Version);
        Assert.Equal(2, engine.Get("a")!.CreateRevision);
        Assert.Equal(3, engine.Get("b")!.CreateRevision);
    }

    [Fact]
    public async Task ARefusedWriteDoesNotBump()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");

        Assert.Equal(StoreError.LeaseNotFound, await ErrorOfAsync(() => engine.PutAsync("b", "1", lease: 99)));

        Assert.Equal(2, engine.Revision);
        Assert.Null(engine.Get("b"));
        Assert.Equal(3, (await engine.PutAsync("b", "1")).Revision);
    }
}
