using Backbone.Core;
using Backbone.Store.Model;
using Microsoft.Extensions.Time.Testing;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Leases;

/// <summary>etcd's leases through the engine, on a fake clock: grant, time-to-live, keep-alive, expiry, revoke.</summary>
public sealed class LeaseTests
{
    [Fact]
    public async Task GrantRaisesATtlBelowTheMinimum()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), new FakeTimeProvider());

        LeaseGrantResult one = await engine.LeaseGrantAsync(1, 1, CancellationToken.None);
        LeaseGrantResult zero = await engine.LeaseGrantAsync(2, 0, CancellationToken.None);
        LeaseGrantResult ten = await engine.LeaseGrantAsync(3, 10, CancellationToken.None);

        Assert.Equal(StoreLimits.MinLeaseTtlSeconds, one.TtlSeconds);
        Assert.Equal(2, one.TtlSeconds);
        Assert.Equal(2, zero.TtlSeconds);
        Assert.Equal(10, ten.TtlSeconds);
        Assert.Equal(2, engine.LeaseTimeToLive(1, withKeys: false).GrantedTtlSeconds);
        Assert.Equal(1, engine.Revision); // a grant is not a key-value write
    }

    [Fact]
    public async Task GrantRefusesATtlAboveTheMaximum()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), new FakeTimeProvider());

        Assert.Equal(StoreError.LeaseTtlTooLarge, await ErrorOfAsync(() => engine.LeaseGrantAsync(1, StoreLimits.MaxLeaseTtlSeconds + 1, CancellationToken.None)));
        Assert.Empty(engine.Leases());
        Assert.Equal(StoreLimits.MaxLeaseTtlSeconds, (await engine.LeaseGrantAsync(1, StoreLimits.MaxLeaseTtlSeconds, CancellationToken.None)).TtlSeconds);
    }

    [Fact]
    public async Task TheClientMayChooseTheIdOrLeaveItToTheServer()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), new FakeTimeProvider(), new Random(1234));

        LeaseGrantResult chosen = await engine.LeaseGrantAsync(7, 30, CancellationToken.None);
        LeaseGrantResult picked = await engine.LeaseGrantAsync(0, 30, CancellationToken.None);

        Assert.Equal(7, chosen.Id);
        Assert.True(picked.Id > 0);
        Assert.NotEqual(7, picked.Id);
        Assert.Equal([7L, picked.Id], engine.Leases().Order());
    }

    [Fact]
    public async Task ADuplicateIdIsLeaseExists()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), new FakeTimeProvider());
        await engine.LeaseGrantAsync(7, 30, CancellationToken.None);

        Assert.Equal(StoreError.LeaseExists, await ErrorOfAsync(() => engine.LeaseGrantAsync(7, 60, CancellationToken.None)));
        Assert.Equal(30, engine.LeaseTimeToLive(7, withKeys: false).GrantedTtlSeconds);
    }

    [Fact]
    public async Task TimeToLiveCountsDownOnTheClockAndListsKeys()
    {
        using TempDir dir = new();
        FakeTimeProvider time = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), time);
        await engine.LeaseGrantAsync(7, 10, CancellationToken.None);
        await engine.PutAsync("b", "1", lease: 7);
        await engine.PutAsync("a", "1", lease: 7);
        await engine.PutAsync("c", "1");

        LeaseTimeToLiveResult fresh = engine.LeaseTimeToLive(7, withKeys: true);
        time.Advance(TimeSpan.FromMilliseconds(2500));
        LeaseTimeToLiveResult later = engine.LeaseTimeToLive(7, withKeys: false);

        Assert.Equal((7L, 10L, 10L), (fresh.Id, fresh.TtlSeconds, fresh.GrantedTtlSeconds));
        Assert.Equal(["a", "b"], fresh.Keys.Select(S));
        Assert.Equal(4, fresh.Revision);
        // 7.5 s left: etcd reports int64(Remaining().Seconds()), which truncates.
        Assert.Equal(7, later.TtlSeconds);
        Assert.Equal(10, later.GrantedTtlSeconds);
        Assert.Empty(later.Keys);
    }

    [Fact]
    public async Task TimeToLiveOfAnUnknownLeaseIsMinusOne()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), new FakeTimeProvider());

        LeaseTimeToLiveResult unknown = engine.LeaseTimeToLive(404, withKeys: true);

        Assert.Equal((404L, -1L, 0L), (unknown.Id, unknown.TtlSeconds, unknown.GrantedTtlSeconds));
        Assert.Empty(unknown.Keys);
    }

    [Fact]
    public async Task KeepAliveRenewsAndAnswersZeroForAnUnknownLease()
    {
        using TempDir dir = new();
        FakeTimeProvider time = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), time);
        await engine.LeaseGrantAsync(7, 10, CancellationToken.None);
        await engine.PutAsync("a", "1", lease: 7);

        time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(10, engine.LeaseKeepAlive(7));
        Assert.Equal(10, engine.LeaseTimeToLive(7, withKeys: false).TtlSeconds);
        time.Advance(TimeSpan.FromSeconds(8)); // 16 s after the grant, 8 s after the renewal

        Assert.Equal(2, engine.LeaseTimeToLive(7, withKeys: false).TtlSeconds);
        Assert.NotNull(engine.Get("a"));
        Assert.Equal(0, engine.LeaseKeepAlive(404));
    }

    [Fact]
    public async Task ExpiryDeletesEveryAttachedKeyAtOneRevision()
    {
        using TempDir dir = new();
        FakeTimeProvider time = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), time);
        await engine.LeaseGrantAsync(7, 5, CancellationToken.None);
        await engine.LeaseGrantAsync(8, 60, CancellationToken.None);
        await engine.PutAsync("a", "1", lease: 7);
        await engine.PutAsync("b", "1", lease: 7);
        await engine.TxnAsync([], [PutOp("c", "1", lease: 7), PutOp("d", "1", lease: 8), PutOp("e", "1")]);
        long before = engine.Revision;

        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(["a", "b", "c", "d", "e"], engine.Keys());
        Assert.Equal(before, engine.Revision);
        time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => engine.LeaseTimeToLive(7, withKeys: false).TtlSeconds == -1, "lease 7 revoked after expiry");

        Assert.Equal(["d", "e"], engine.Keys());
        Assert.Equal(before + 1, engine.Revision);
        Assert.Equal(["a", "b", "c", "d", "e"], engine.Keys(revision: before));
        Assert.Equal([8L], engine.Leases());
        Assert.Equal(0, engine.LeaseKeepAlive(7));
    }

    [Fact]
    public async Task ExpiryOfALeaseWithoutKeysChangesNoRevision()
    {
        using TempDir dir = new();
        FakeTimeProvider time = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), time);
        await engine.PutAsync("a", "1");
        await engine.LeaseGrantAsync(7, 2, CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(3));
        await WaitUntilAsync(() => engine.Leases().Count == 0, "lease 7 revoked after expiry");

        Assert.Equal(2, engine.Revision);
        Assert.Equal(["a"], engine.Keys());
    }

    [Fact]
    public async Task ALeaseKeptAliveDoesNotExpire()
    {
        using TempDir dir = new();
        FakeTimeProvider time = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), time);
        await engine.LeaseGrantAsync(7, 4, CancellationToken.None);
        await engine.PutAsync("a", "1", lease: 7);

        for (int i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(3));
            Assert.Equal(4, engine.LeaseKeepAlive(7));
        }

        Assert.Equal(["a"], engine.Keys());
        Assert.Equal([7L], engine.Leases());
    }

    [Fact]
    public async Task RevokeDeletesTheKeysAtOneRevision()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), new FakeTimeProvider());
        await engine.LeaseGrantAsync(7, 60, CancellationToken.None);
        await engine.PutAsync("a", "1", lease: 7);
        await engine.PutAsync("b", "1", lease: 7);
        await engine.PutAsync("c", "1");

        LeaseRevokeResult revoked = await engine.LeaseRevokeAsync(7, CancellationToken.None);

        Assert.Equal(5, revoked.Revision);
        Assert.Equal(5, engine.Revision);
        Assert.Equal(["c"], engine.Keys());
        Assert.Equal(-1, engine.LeaseTimeToLive(7, withKeys: false).TtlSeconds);
        Assert.Equal(StoreError.LeaseNotFound, await ErrorOfAsync(() => engine.LeaseRevokeAsync(7, CancellationToken.None)));
        Assert.Equal(StoreError.LeaseNotFound, await ErrorOfAsync(() => engine.PutAsync("a", "2", lease: 7)));
    }

    [Fact]
    public async Task AKeyPutAgainWithoutTheLeaseLeavesIt()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast(), new FakeTimeProvider());
        await engine.LeaseGrantAsync(7, 60, CancellationToken.None);
        await engine.LeaseGrantAsync(8, 60, CancellationToken.None);
        await engine.PutAsync("a", "1", lease: 7);
        await engine.PutAsync("b", "1", lease: 7);
        await engine.PutAsync("c", "1", lease: 7);
        await engine.PutAsync("a", "2");
        await engine.PutAsync("b", "2", lease: 8);
        await engine.DeleteAsync("c");

        Assert.Empty(engine.LeaseTimeToLive(7, withKeys: true).Keys);
        Assert.Equal(["b"], engine.LeaseTimeToLive(8, withKeys: true).Keys.Select(S));
        long before = engine.Revision;
        await engine.LeaseRevokeAsync(7, CancellationToken.None);

        Assert.Equal(before, engine.Revision);
        Assert.Equal(["a", "b"], engine.Keys());
    }

    [Fact]
    public async Task LeasesSurviveReopenAndGetTheirFullTtlAgain()
    {
        using TempDir dir = new();
        FakeTimeProvider time = new();
        await using (StoreEngine engine = StoreEngine.Open(dir.Fast(), time))
        {
            await engine.LeaseGrantAsync(7, 10, CancellationToken.None);
            await engine.PutAsync("a", "1", lease: 7);
            time.Advance(TimeSpan.FromSeconds(8));
        }

        await using (StoreEngine engine = StoreEngine.Open(dir.Fast(), time))
        {
            LeaseTimeToLiveResult ttl = engine.LeaseTimeToLive(7, withKeys: true);
            Assert.Equal((10L, 10L), (ttl.TtlSeconds, ttl.GrantedTtlSeconds));
            Assert.Equal(["a"], ttl.Keys.Select(S));
            Assert.Equal(7, engine.Get("a")!.Lease);

            time.Advance(TimeSpan.FromSeconds(11));
            await WaitUntilAsync(() => engine.Get("a") is null, "key a deleted by the expiry of lease 7 after reopen");
            Assert.Empty(engine.Leases());
        }

        await using (StoreEngine engine = StoreEngine.Open(dir.Fast(), time))
        {
            Assert.Empty(engine.Leases());
            Assert.Empty(engine.Keys());
            Assert.Equal(3, engine.Revision);
        }
    }
}
