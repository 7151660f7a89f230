using Backbone.Store.Raft;
using Microsoft.Extensions.Time.Testing;

namespace Backbone.Server.Tests.Membership;

/// <summary>
/// The leader's read lease: it runs for its duration from the start of the round that proved the
/// leadership (not from the round's end), only for that round's term, and only ever grows.
/// </summary>
public sealed class LeaderLeaseTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromMilliseconds(150);

    [Fact]
    public void RunsFromTheRoundsStartForItsDuration()
    {
        FakeTimeProvider clock = new();
        LeaderLease lease = new(Duration, clock);
        Assert.False(lease.Holds(3)); // no round yet

        long roundStart = lease.Now();
        clock.Advance(TimeSpan.FromMilliseconds(40)); // the round's answers came back 40 ms later
        lease.Extend(3, roundStart);
        Assert.True(lease.Holds(3));

        clock.Advance(TimeSpan.FromMilliseconds(109)); // 149 ms after the round started
        Assert.True(lease.Holds(3));
        clock.Advance(TimeSpan.FromMilliseconds(1)); // 150 ms: over, though only 110 ms after the answers
        Assert.False(lease.Holds(3));
    }

    [Fact]
    public void HoldsOnlyForTheTermOfItsRound()
    {
        FakeTimeProvider clock = new();
        LeaderLease lease = new(Duration, clock);
        lease.Extend(3, lease.Now());
        Assert.False(lease.Holds(4)); // led again later: the old term's round proves nothing
        Assert.False(lease.Holds(2));

        lease.Extend(4, lease.Now());
        Assert.True(lease.Holds(4));
        lease.Extend(3, lease.Now()); // a late round of the older term
        Assert.True(lease.Holds(4));
        Assert.False(lease.Holds(3));
    }

    [Fact]
    public void AnEarlierRoundNeverShortensIt()
    {
        FakeTimeProvider clock = new();
        LeaderLease lease = new(Duration, clock);
        long early = lease.Now();
        clock.Advance(TimeSpan.FromMilliseconds(100));
        long late = lease.Now();
        lease.Extend(5, late);
        lease.Extend(5, early); // answered after the later round: must not pull the end back
        clock.Advance(TimeSpan.FromMilliseconds(120)); // 220 ms after the early start, 120 after the late one
        Assert.True(lease.Holds(5));
    }
}
