using System.Net;
using Backbone.Overlay.Membership.Wire;

namespace Backbone.Overlay.Membership.Protocol;

/// <summary>
/// The SWIM failure detector as a state machine that does no I/O: the caller feeds it received
/// bytes (<see cref="Receive"/>), member lists (<see cref="SetMembers"/>) and the passage of time
/// (<see cref="Tick"/> at or after <see cref="NextDeadline"/>), and takes out what it wants sent
/// (<see cref="DrainOutbox"/>) and the state changes it made (<see cref="DrainChanges"/>). Time is
/// read from the injected <see cref="TimeProvider"/>, so a test drives several cores through a
/// simulated network with a fake clock, without sockets or sleeping.
/// </summary>
/// <remarks>
/// Not thread-safe: one caller at a time (the detector's protocol loop). A worked example with
/// the defaults (T = 500 ms, probe timeout 200 ms, suspicion 1 s), member C dying at 0.1 s:
/// <code>
/// 0.0  period: ping C (nonce 7), C acks          C alive
/// 0.1  C dies
/// 1.0  period: ping C (nonce 12), no ack          (C is probed at least every SweepPeriods = 2 periods)
/// 1.2  ping-req(12, C) to k helpers, TCP ping(12) to C: nothing comes back
/// 1.5  round over: C suspect                      (a new period starts; suspects are probed every period)
/// 2.5  suspect for 1 s: C dead                    2.4 s after it died; at most 2.5 s (README.md)
/// </code>
/// </remarks>
internal sealed partial class DetectorCore
{
    private readonly string self;
    private readonly MembershipOptions options;
    private readonly MessageCodec codec;
    private readonly TimeProvider time;
    private readonly Random random;
    private readonly MembershipCounters counters;
    private readonly long startTimestamp;

    private readonly Dictionary<string, MemberEntry> members = new(StringComparer.Ordinal);
    private readonly ProbeOrder order;
    private readonly Dictionary<ulong, ProbeRound> rounds = [];
    private readonly Dictionary<ulong, Relay> relays = [];

    private readonly List<Outgoing> outbox = [];
    private readonly List<MemberStateChange> changes = [];

    /// <summary>Reused by <see cref="Tick"/> and the period's target choice, to not allocate each time.</summary>
    private readonly List<ProbeRound> dueRounds = [];
    private readonly List<string> periodTargets = [];
    private readonly List<MemberEntry> helperCandidates = [];

    /// <summary>Unique per probe and relay; starts at a random value so a restarted detector does not reuse its predecessor's nonces.</summary>
    private ulong nextNonce;

    private TimeSpan nextPeriodAt;

    /// <summary>False until the first <see cref="Tick"/>: before it there is no deadline the loop could have missed.</summary>
    private bool ticked;

    /// <param name="firstNonce">From a cryptographic random source in production (README.md, "Replays"); tests pass fixed ones.</param>
    public DetectorCore(MembershipOptions options, TimeProvider time, Random random, ulong firstNonce, MembershipCounters counters)
    {
        this.options = options;
        self = options.NodeId;
        codec = new MessageCodec(options.Key);
        this.time = time;
        this.random = random;
        this.counters = counters;
        order = new ProbeOrder(random);
        nextNonce = firstNonce;
        startTimestamp = time.GetTimestamp();
    }

    /// <summary>Time since the core was made, from its <see cref="TimeProvider"/>; every deadline is on this scale.</summary>
    public TimeSpan Now => time.GetElapsedTime(startTimestamp);

    /// <summary>Goes up with every change visible in <see cref="Snapshot"/>, so the caller republishes only then.</summary>
    public long Version { get; private set; }

    /// <summary>The earliest time <see cref="Tick"/> has something to do: a period, a round's next step, a suspicion ending.</summary>
    public TimeSpan NextDeadline
    {
        get
        {
            TimeSpan next = nextPeriodAt;
            foreach (ProbeRound round in rounds.Values)
            {
                next = Min(next, round.NextDeadline);
            }

            foreach (MemberEntry member in members.Values)
            {
                if (member.State == MemberState.Suspect)
                {
                    next = Min(next, member.SuspectedAt + options.SuspicionTimeout);
                }
            }

            return next;
        }
    }

    /// <summary>
    /// Does whatever is due: rounds first (a round that ends now makes its member suspect before
    /// the period that starts now probes it again), then suspicions, then the period.
    /// </summary>
    public void Tick()
    {
        TimeSpan now = Now;
        TimeSpan late = now - NextDeadline;
        if (ticked && late > StallThreshold)
        {
            Postpone(late);
        }

        ticked = true;
        dueRounds.Clear();
        foreach (ProbeRound round in rounds.Values)
        {
            if (round.NextDeadline <= now)
            {
                dueRounds.Add(round);
            }
        }

        foreach (ProbeRound round in dueRounds)
        {
            Advance(round, now);
        }

        foreach (MemberEntry member in members.Values)
        {
            if (member.State == MemberState.Suspect && now >= member.SuspectedAt + options.SuspicionTimeout)
            {
                Transition(member, MemberState.Dead, $"suspect for {options.SuspicionTimeout.TotalMilliseconds:0} ms without an answer");
            }
        }

        ExpireRelays(now);
        if (now >= nextPeriodAt)
        {
            // The next period starts a whole period from now, not from when this one was due: its
            // rounds then end exactly as the next period starts (ended first, above), so a late
            // tick never leaves a round in flight that would make the next period skip its member.
            // A late tick thus stretches a period by its lateness (milliseconds), and a stall
            // starts afresh instead of catching up.
            nextPeriodAt = now + options.ProtocolPeriod;
            StartPeriod(now);
        }
    }

    /// <summary>
    /// A tick this much later than the deadline it was due at means this detector was not running
    /// (a long GC pause, a starved or frozen process): its receiver did not run either, so the
    /// answers of that time may not even have been read yet.
    /// </summary>
    private TimeSpan StallThreshold => options.ProbeTimeout / 2;

    /// <summary>
    /// After a stall, moves every round, suspicion and the next period later by its length, so our
    /// own absence is not taken for everyone else's (Lifeguard's point: a slow prober must not
    /// declare healthy members dead). Without it, a 1.5 s pause would declare every member dead
    /// at once. The cost: a member that died during the stall is declared that much later.
    /// </summary>
    private void Postpone(TimeSpan by)
    {
        counters.Increment(MembershipCounter.Stalls);
        foreach (ProbeRound round in rounds.Values)
        {
            round.Postpone(by);
        }

        foreach (MemberEntry member in members.Values)
        {
            if (member.State == MemberState.Suspect)
            {
                member.SuspectedAt += by;
            }
        }

        nextPeriodAt += by;
    }

    /// <summary>Moves what the core wants sent into <paramref name="into"/>, in order.</summary>
    public void DrainOutbox(List<Outgoing> into)
    {
        into.AddRange(outbox);
        outbox.Clear();
    }

    /// <summary>Moves the state changes made since the last call into <paramref name="into"/>, in order.</summary>
    public void DrainChanges(List<MemberStateChange> into)
    {
        into.AddRange(changes);
        changes.Clear();
    }

    private void StartPeriod(TimeSpan now)
    {
        periodTargets.Clear();
        order.TakeNext(ProbeOrder.PerPeriod(order.Count, options.SweepPeriods), periodTargets);
        foreach (string nodeId in periodTargets)
        {
            MemberEntry member = members[nodeId];
            if (member.Round is { } inFlight)
            {
                // A round started off the beat (a new member, a challenge) is still running. If it
                // is undecided, let it decide (should it fail, the member becomes suspect and is
                // probed every period anyway). If it was answered, its job is done: end it and
                // probe on the beat, or the member would wait a whole pass for its next turn.
                if (!inFlight.Answered)
                {
                    continue;
                }

                EndRound(inFlight);
            }

            StartRound(member, now);
        }

        // Members not known to be alive are probed every period besides their turn: a false
        // suspicion (a lost datagram) clears within a period, and a new member is known at once.
        foreach (MemberEntry member in members.Values)
        {
            if (member.State is MemberState.Unknown or MemberState.Suspect && member.Round is null)
            {
                StartRound(member, now);
            }
        }
    }

    private void StartRound(MemberEntry member, TimeSpan now)
    {
        var round = new ProbeRound(nextNonce++, member, now, now + options.ProbeTimeout, now + options.ProtocolPeriod);
        rounds.Add(round.Nonce, round);
        member.Round = round;
        Send(member.EndPoint, ProbeMessage.Ping(round.Nonce, self, member.NodeId));
    }

    private void Advance(ProbeRound round, TimeSpan now)
    {
        if (now >= round.EndsAt)
        {
            EndRound(round);
            return;
        }

        if (!round.Answered && !round.FallbackSent && now >= round.FallbackAt)
        {
            SendFallbacks(round);
        }
    }

    private void EndRound(ProbeRound round)
    {
        rounds.Remove(round.Nonce);
        round.Target.Round = null;
        if (!round.Answered)
        {
            counters.Increment(MembershipCounter.FailedRounds);
            string tcp = options.MaxTcpProbes > 0 ? ", a TCP ping" : "";
            Suspect(round.Target,
                $"no ack within {options.ProtocolPeriod.TotalMilliseconds:0} ms to a ping, {round.Helpers.Length} ping-reqs{tcp}");
        }
    }

    /// <summary>The direct ping went unanswered: ask k alive members to try, and try over TCP (memberlist does both at once).</summary>
    private void SendFallbacks(ProbeRound round)
    {
        round.FallbackSent = true;
        MemberEntry target = round.Target;
        helperCandidates.Clear();
        foreach (MemberEntry member in members.Values)
        {
            if (member.State == MemberState.Alive && member != target)
            {
                helperCandidates.Add(member);
            }
        }

        int count = Math.Min(options.IndirectProbes, helperCandidates.Count);
        string[] helpers = new string[count];
        var targetAddress = new MemberAddress(target.NodeId, target.EndPoint);
        for (int i = 0; i < count; i++)
        {
            // A partial Fisher-Yates shuffle: k distinct helpers, uniformly.
            int pick = random.Next(i, helperCandidates.Count);
            (helperCandidates[i], helperCandidates[pick]) = (helperCandidates[pick], helperCandidates[i]);
            MemberEntry helper = helperCandidates[i];
            helpers[i] = helper.NodeId;
            Send(helper.EndPoint, ProbeMessage.PingReq(round.Nonce, self, helper.NodeId, targetAddress));
            counters.Increment(MembershipCounter.IndirectProbesSent);
        }

        round.Helpers = helpers;
        if (options.MaxTcpProbes > 0)
        {
            outbox.Add(new Outgoing(target.EndPoint, codec.Encode(ProbeMessage.Ping(round.Nonce, self, target.NodeId)), ProbeChannel.Tcp,
                round.EndsAt - Now));
        }
    }

    private void ExpireRelays(TimeSpan now)
    {
        if (relays.Count == 0)
        {
            return;
        }

        foreach (KeyValuePair<ulong, Relay> relay in relays)
        {
            if (relay.Value.ExpiresAt <= now)
            {
                relays.Remove(relay.Key); // removing the current entry while enumerating is allowed for Dictionary
            }
        }
    }

    private void Send(IPEndPoint to, in ProbeMessage message) => outbox.Add(new Outgoing(to, codec.Encode(message), ProbeChannel.Udp));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
