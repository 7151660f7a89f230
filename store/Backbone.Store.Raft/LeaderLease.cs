namespace Backbone.Store.Raft;

/// <summary>
/// How long after a confirmed replication round this leader may answer a read index from its
/// commit index alone, without another round (docs/raft.md, "Linearizable reads").
///
/// Why it is safe: every follower that answered a round did so after the round started, and
/// DotNext's followers then refuse pre-votes and votes until their own election timeout (at least
/// the lower bound) has passed since that answer. A quorum answered, so no other leader can be
/// elected within the lower bound of the round's start, except with this leader's own vote, and
/// DotNext steps a leader down before it votes (the caller checks leadership after reading the
/// lease). A member that restarts forgets when it last heard from the leader, so a restarted
/// member joins no election for the lower bound after it starts (RaftNode.StartAsync); and a
/// member that refuses a resent snapshot answers without that mark being renewed, so no round
/// extends the lease while a snapshot may be on its way (RaftNode.FullRoundAsync). The lease is
/// half the lower bound: safe while no member's clock runs more than twice as fast as this
/// one's, and while every manager has the same election timeout. It is measured on the monotonic
/// clock at the moment of the check, not by a timer: a leader paused (SIGSTOP) and thawed sees
/// it expired at once. (A whole VM suspended and resumed is not covered: the monotonic clock
/// stops with it.)
/// </summary>
internal sealed class LeaderLease(TimeSpan duration, TimeProvider clock)
{
    /// <summary>The lease now held: its term and its end (timestamps of <c>clock</c>); replaced whole, never torn.</summary>
    private sealed record Held(long Term, long Until);

    private Held? held;

    /// <summary>Records a round of <paramref name="term"/> that started at <paramref name="roundStart"/> (taken before the round was asked for) and that a quorum answered.</summary>
    public void Extend(long term, long roundStart)
    {
        long until = roundStart + (duration.Ticks * clock.TimestampFrequency / TimeSpan.TicksPerSecond);
        while (true)
        {
            Held? current = Volatile.Read(ref held);
            if (current is not null && current.Term == term && current.Until >= until)
            {
                return; // a later round already extended it further
            }

            if (current is not null && current.Term > term)
            {
                return; // a round of an older term proves nothing now
            }

            if (Interlocked.CompareExchange(ref held, new Held(term, until), current) == current)
            {
                return;
            }
        }
    }

    /// <summary>True while a lease of <paramref name="term"/> runs; the caller must still check that it leads that term.</summary>
    public bool Holds(long term) => Volatile.Read(ref held) is { } current && current.Term == term && clock.GetTimestamp() < current.Until;

    /// <summary>The clock's "now", for the start of a round.</summary>
    public long Now() => clock.GetTimestamp();
}
