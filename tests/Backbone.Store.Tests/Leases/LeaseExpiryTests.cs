using Backbone.Store.Leases;
using Microsoft.Extensions.Time.Testing;

namespace Backbone.Store.Tests.Leases;

public sealed class LeaseExpiryTests
{
    [Fact]
    public void ExpiresAfterItsTtl()
    {
        FakeTimeProvider time = new();
        LeaseExpiry expiry = new(time);
        expiry.Track(1, 5);
        expiry.Track(2, 10);

        time.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.Empty(expiry.TakeExpired());

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([1L], expiry.TakeExpired());
    }

    [Fact]
    public void AKeepAliveCannotSaveALeaseAlreadyHandedToRevoke()
    {
        FakeTimeProvider time = new();
        LeaseExpiry expiry = new(time);
        expiry.Track(1, 2);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([1L], expiry.TakeExpired());

        // Within the retry delay the lease looks alive by its clock, but its revoke is in flight:
        // answering the keep-alive with a TTL would promise a lease that is about to vanish.
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, expiry.Renew(1));
    }

    [Fact]
    public void AnExpiredLeaseIsReportedAgainOnlyAfterTheRetryDelay()
    {
        FakeTimeProvider time = new();
        LeaseExpiry expiry = new(time);
        expiry.Track(1, 2);
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal([1L], expiry.TakeExpired());
        Assert.Empty(expiry.TakeExpired());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([1L], expiry.TakeExpired());

        expiry.Forget(1);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(expiry.TakeExpired());
    }

    [Fact]
    public void RenewPushesExpiryBackByTheTtl()
    {
        FakeTimeProvider time = new();
        LeaseExpiry expiry = new(time);
        expiry.Track(1, 5);

        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(5, expiry.Renew(1));
        time.Advance(TimeSpan.FromSeconds(4));

        Assert.Empty(expiry.TakeExpired());
        Assert.True(expiry.TryGetRemaining(1, out long remaining));
        Assert.Equal(1, remaining);
    }

    [Fact]
    public void RenewOfAnUnknownOrExpiredLeaseIsZero()
    {
        FakeTimeProvider time = new();
        LeaseExpiry expiry = new(time);
        expiry.Track(1, 5);

        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(0, expiry.Renew(1));
        Assert.Equal(0, expiry.Renew(2));
        Assert.Equal([1L], expiry.TakeExpired());
    }

    [Fact]
    public void RemainingNeverGoesBelowZero()
    {
        FakeTimeProvider time = new();
        LeaseExpiry expiry = new(time);
        expiry.Track(1, 2);

        time.Advance(TimeSpan.FromSeconds(30));

        Assert.True(expiry.TryGetRemaining(1, out long remaining));
        Assert.Equal(0, remaining);
        Assert.False(expiry.TryGetRemaining(2, out _));
    }
}
