using Backbone.Store.Model;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Mvcc;

/// <summary>etcd's Put (prev_kv, ignore_value, ignore_lease and their validation) and DeleteRange.</summary>
public sealed class PutDeleteTests
{
    [Fact]
    public async Task PutPrevKvReturnsThePreviousValueOnlyWhenAsked()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());

        PutResult first = await engine.PutAsync(new PutRequest { Key = B("a"), Value = B("1"), PrevKv = true }, CancellationToken.None);
        PutResult second = await engine.PutAsync(new PutRequest { Key = B("a"), Value = B("2"), PrevKv = true }, CancellationToken.None);
        PutResult third = await engine.PutAsync(new PutRequest { Key = B("a"), Value = B("3") }, CancellationToken.None);

        Assert.Null(first.PrevKv);
        Assert.NotNull(second.PrevKv);
        Assert.Equal(("a", "1", 2L, 2L, 1L), (S(second.PrevKv.Key), S(second.PrevKv.Value), second.PrevKv.CreateRevision, second.PrevKv.ModRevision, second.PrevKv.Version));
        Assert.Null(third.PrevKv);
    }

    [Fact]
    public async Task PutPrevKvAfterDeleteIsEmpty()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");
        await engine.DeleteAsync("a");

        PutResult put = await engine.PutAsync(new PutRequest { Key = B("a"), Value = B("2"), PrevKv = true }, CancellationToken.None);

        Assert.Null(put.PrevKv);
    }

    [Fact]
    public async Task IgnoreValueKeepsTheValueAndBumpsVersion()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "keep");

        PutResult put = await engine.PutAsync(new PutRequest { Key = B("a"), IgnoreValue = true, PrevKv = true }, CancellationToken.None);

        KeyValue a = engine.Get("a")!;
        Assert.Equal(("keep", 3L, 2L, 2L), (S(a.Value), a.ModRevision, a.Version, a.CreateRevision));
        Assert.Equal("keep", S(put.PrevKv!.Value));
    }

    [Fact]
    public async Task IgnoreLeaseKeepsTheLease()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.LeaseGrantAsync(5, 60, CancellationToken.None);
        await engine.PutAsync("a", "1", lease: 5);

        await engine.PutAsync(new PutRequest { Key = B("a"), Value = B("2"), IgnoreLease = true }, CancellationToken.None);

        KeyValue a = engine.Get("a")!;
        Assert.Equal(("2", 5L), (S(a.Value), a.Lease));
        Assert.Equal(["a"], engine.LeaseTimeToLive(5, withKeys: true).Keys.Select(S));
    }

    [Fact]
    public async Task IgnoreValueOrLeaseOnAMissingKeyIsKeyNotFound()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");
        await engine.DeleteAsync("a");

        Assert.Equal(StoreError.KeyNotFound, await ErrorOfAsync(() => engine.PutAsync(new PutRequest { Key = B("a"), IgnoreValue = true }, CancellationToken.None)));
        Assert.Equal(StoreError.KeyNotFound, await ErrorOfAsync(() => engine.PutAsync(new PutRequest { Key = B("never"), IgnoreLease = true, Value = B("x") }, CancellationToken.None)));
        Assert.Equal(3, engine.Revision);
    }

    [Fact]
    public async Task ValidationBeforeProposing()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");

        Assert.Equal(StoreError.ValueProvided, await ErrorOfAsync(() => engine.PutAsync(new PutRequest { Key = B("a"), Value = B("x"), IgnoreValue = true }, CancellationToken.None)));
        Assert.Equal(StoreError.LeaseProvided, await ErrorOfAsync(() => engine.PutAsync(new PutRequest { Key = B("a"), Lease = 5, IgnoreLease = true }, CancellationToken.None)));
        Assert.Equal(StoreError.KeyNotProvided, await ErrorOfAsync(() => engine.PutAsync(new PutRequest { Key = [], Value = B("x") }, CancellationToken.None)));
        Assert.Equal(StoreError.KeyNotProvided, await ErrorOfAsync(() => engine.DeleteRangeAsync(new DeleteRangeRequest { Key = [] }, CancellationToken.None)));
        Assert.Equal(2, engine.Revision);
    }

    [Fact]
    public async Task ARequestAboveTheSizeLimitIsRefused()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());

        StoreError error = await ErrorOfAsync(() => engine.PutAsync(new PutRequest { Key = B("big"), Value = new byte[Backbone.Core.StoreLimits.MaxRequestBytes] }, CancellationToken.None));
        PutResult fits = await engine.PutAsync(new PutRequest { Key = B("big"), Value = new byte[Backbone.Core.StoreLimits.MaxRequestBytes - 1024] }, CancellationToken.None);

        Assert.Equal(StoreError.RequestTooLarge, error);
        Assert.Equal(2, fits.Revision);
        Assert.Equal(Backbone.Core.StoreLimits.MaxRequestBytes - 1024, engine.Get("big")!.Value.Length);
    }

    [Fact]
    public async Task PutWithAnUnknownLeaseIsRefused()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());

        Assert.Equal(StoreError.LeaseNotFound, await ErrorOfAsync(() => engine.PutAsync("a", "1", lease: 77)));
        Assert.Null(engine.Get("a"));
        Assert.Equal(1, engine.Revision);
    }

    [Fact]
    public async Task DeleteRangeCountsAndReturnsPrevKvs()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");
        await engine.PutAsync("b", "2");
        await engine.PutAsync("b", "22");
        await engine.PutAsync("c", "3");
        await engine.PutAsync("d", "4");

        DeleteRangeResult deleted = await engine.DeleteAsync("a", "d", prevKv: true);

        Assert.Equal(3, deleted.Deleted);
        Assert.Equal(7, deleted.Revision);
        Assert.Equal(["a", "b", "c"], deleted.PrevKvs.Select(kv => S(kv.Key)));
        Assert.Equal(["1", "22", "3"], deleted.PrevKvs.Select(kv => S(kv.Value)));
        Assert.Equal(2, deleted.PrevKvs[1].Version);
        Assert.Equal(4, deleted.PrevKvs[1].ModRevision);
        Assert.Equal(["d"], engine.Keys());
    }

    [Fact]
    public async Task DeleteRangeWithoutPrevKvReturnsOnlyTheCount()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("p/1", "1");
        await engine.PutAsync("p/2", "2");
        await engine.PutAsync("q", "3");

        DeleteRangeResult deleted = await engine.DeleteAsync("p/", "p0");

        Assert.Equal(2, deleted.Deleted);
        Assert.Empty(deleted.PrevKvs);
        Assert.Equal(["q"], engine.Keys());
    }

    [Fact]
    public async Task DeleteEverything()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");
        await engine.PutAsync("z", "1");

        DeleteRangeResult deleted = await engine.DeleteRangeAsync(new DeleteRangeRequest { Key = [0], RangeEnd = [0] }, CancellationToken.None);

        Assert.Equal(2, deleted.Deleted);
        Assert.Empty(engine.Keys());
        Assert.Equal(4, engine.Revision);
        Assert.Equal(["a", "z"], engine.Keys(revision: 3));
    }

    [Fact]
    public async Task DeletingADeletedKeyAgainDeletesNothing()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");
        await engine.DeleteAsync("a");

        DeleteRangeResult again = await engine.DeleteAsync("a", prevKv: true);

        Assert.Equal(0, again.Deleted);
        Assert.Empty(again.PrevKvs);
        Assert.Equal(3, engine.Revision);
    }
}
