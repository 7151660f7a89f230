using System.Net;
using Backbone.Overlay.Membership;
using Backbone.Overlay.Membership.Protocol;
using Backbone.Overlay.Membership.Wire;
using Microsoft.Extensions.Time.Testing;

namespace Backbone.Overlay.Tests.Membership.Protocol;

/// <summary>
/// One core, driven by hand on a fake clock: the exact timeline of a round, what each message
/// does, and what may not make a member alive. The peers are played by the test with their codec.
/// </summary>
public sealed class DetectorCoreTests
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Suspicion = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly MessageCodec peers = new(TestKeys.Cluster);
    private readonly MembershipCounters counters = new();
    private readonly DetectorCore core;
    private readonly List<MemberStateChange> changes = [];

    public DetectorCoreTests()
    {
        core = new DetectorCore(new MembershipOptions { NodeId = "a", Key = TestKeys.Cluster }, time, new Random(1), firstNonce: 1000, counters);
    }

    [Fact]
    public void AMemberThatNeverAnswersIsSuspectAfterOnePeriodAndDeadAfterTheSuspicionTimeout()
    {
        core.SetMembers([Member("a"), Member("b")]); // itself included, as the store lists every node
        core.Tick(); // as the loop does right after: the first period starts (b, already in a round, is not probed twice)
        Assert.Equal(["b"], core.Snapshot().Select(s => s.NodeId));
        Assert.Equal(MemberState.Unknown, core.Snapshot()[0].State);
        Outgoing ping = Assert.Single(Sent());
        Assert.Equal((Address("b"), ProbeChannel.Udp, MessageType.Ping), (ping.To, ping.Channel, Decode(ping).Type));

        Step(ProbeTimeout);
        // No alive member to ask: no ping-req, only the TCP ping, which must finish within the round.
        Outgoing tcp = Assert.Single(Sent());
        Assert.Equal((Address("b"), ProbeChannel.Tcp, Decode(ping).Nonce, Period - ProbeTimeout), (tcp.To, tcp.Channel, Decode(tcp).Nonce, tcp.Timeout));

        Step(Period - ProbeTimeout);
        MemberStateChange suspect = Assert.Single(Changes());
        Assert.Equal((MemberState.Unknown, MemberState.Suspect), (suspect.Previous, suspect.State));
        Assert.Contains("no ack within 500 ms", suspect.Reason, StringComparison.Ordinal);
        Assert.Single(Sent()); // suspects are probed every period

        StepMany(Suspicion - TimeSpan.FromMilliseconds(10)); // ticking as the loop does, at every deadline
        Step(TimeSpan.FromMilliseconds(9));
        Assert.Empty(Changes());
        Step(TimeSpan.FromMilliseconds(1));
        MemberStateChange dead = Assert.Single(Changes());
        Assert.Equal((MemberState.Suspect, MemberState.Dead, time.GetUtcNow()), (dead.Previous, dead.State, dead.At));
        Assert.Equal(MemberState.Dead, core.Snapshot()[0].State);
    }

    [Fact]
    public void AnAckToThePingMakesTheMemberAliveAndNoFallbackIsSent()
    {
        core.SetMembers([Member("b")]);
        core.Tick();
        Outgoing ping = Assert.Single(Sent());
        Assert.Null(core.Receive(AckFrom("b", Decode(ping).Nonce), Address("b"), ProbeChannel.Udp));
        MemberStateChange alive = Assert.Single(Changes());
        Assert.Equal((MemberState.Unknown, MemberState.Alive, "ack to a ping"), (alive.Previous, alive.State, alive.Reason));

        Step(ProbeTimeout);
        Assert.Empty(Sent());
        Step(Period - ProbeTimeout);
        Assert.Empty(Changes());
        Assert.Equal(1, counters[MembershipCounter.DirectAcks]);
    }

    [Fact]
    public void AnUnansweredPingAsksKAliveHelpersAndTheirRelayedAckAnswersTheRound()
    {
        string[] others = ["b", "c", "d", "e", "f"];
        MakeAlive(others);
        ulong nonce = StartRoundFor("b");

        Step(ProbeTimeout);
        List<Outgoing> fallback = Sent();
        Outgoing[] requests = fallback.Where(o => o.Channel == ProbeChannel.Udp).ToArray();
        Assert.Equal(3, requests.Length); // k = 3 of the 4 alive members other than b
        string[] helpers = requests.Select(r => Decode(r).To).ToArray();
        Assert.Equal(3, helpers.Distinct().Count());
        Assert.DoesNotContain("b", helpers);
        foreach (Outgoing request in requests)
        {
            ProbeMessage message = Decode(request);
            Assert.Equal((MessageType.PingReq, nonce, "b", Address("b")), (message.Type, message.Nonce, message.Target!.NodeId, message.Target.EndPoint));
            Assert.Equal(Address(message.To), request.To);
        }

        Assert.Single(fallback, o => o.Channel == ProbeChannel.Tcp);

        // An ack about b from the one member not asked is not accepted; one from a helper is.
        string stranger = others.Except(helpers).Except(["b"]).Single();
        core.Receive(peers.Encode(ProbeMessage.Ack(nonce, stranger, "a", "b")), Address(stranger), ProbeChannel.Udp);
        Assert.Equal(1, counters[MembershipCounter.DroppedUnmatchedAck]);
        core.Receive(peers.Encode(ProbeMessage.Ack(nonce, helpers[0], "a", "b")), Address(helpers[0]), ProbeChannel.Udp);
        Assert.Equal(1, counters[MembershipCounter.IndirectAcks]);

        Step(Period - ProbeTimeout);
        Assert.Empty(Changes()); // answered: b never became suspect
    }

    [Fact]
    public void AnAckOverTcpAnswersTheRound()
    {
        MakeAlive(["b"]);
        ulong nonce = StartRoundFor("b");
        Step(ProbeTimeout);
        Assert.Single(Sent(), o => o.Channel == ProbeChannel.Tcp);
        core.Receive(AckFrom("b", nonce), Address("b"), ProbeChannel.Tcp);
        Step(Period);
        Assert.Equal(MemberState.Alive, core.Snapshot()[0].State);
        Assert.Equal(1, counters[MembershipCounter.TcpAcks]);
    }

    [Fact]
    public void OldOrForeignAcksNeverMakeAMemberAlive()
    {
        core.SetMembers([Member("b")]);
        ulong first = Decode(Assert.Single(Sent())).Nonce;
        byte[] firstAck = AckFrom("b", first);
        Step(Period); // the first round ends unanswered: b is suspect

        ulong second = Decode(Assert.Single(Sent())).Nonce;
        core.Receive(firstAck, Address("b"), ProbeChannel.Udp); // the replay of an ack to a round that is over
        core.Receive(peers.Encode(ProbeMessage.Ack(second, "c", "a", "b")), Address("b"), ProbeChannel.Udp); // not asked
        core.Receive(peers.Encode(ProbeMessage.Ack(second, "b", "a", "c")), Address("b"), ProbeChannel.Udp); // about someone else
        core.Receive(peers.Encode(ProbeMessage.Ack(second, "b", "z", "b")), Address("b"), ProbeChannel.Udp); // meant for another node
        core.Receive(new MessageCodec(TestKeys.Other).Encode(ProbeMessage.Ack(second, "b", "a", "b")), Address("b"), ProbeChannel.Udp);
        Assert.Equal(3, counters[MembershipCounter.DroppedUnmatchedAck]);
        Assert.Equal(1, counters[MembershipCounter.DroppedMisdirected]);
        Assert.Equal(1, counters[MembershipCounter.DroppedBadMac]);
        Assert.Equal([MemberState.Suspect], Changes().Select(c => c.State));
        Assert.Equal(MemberState.Suspect, core.Snapshot()[0].State);
    }

    [Fact]
    public void APingIsAnsweredWithAnAckEchoingItsNonce()
    {
        byte[]? reply = core.Receive(peers.Encode(ProbeMessage.Ping(77, "x", "a")), Address("x"), ProbeChannel.Udp);
        Assert.Equal(ProbeMessage.Ack(77, "a", "x", "a"), Decode(reply!));
        Assert.Null(core.Receive(peers.Encode(ProbeMessage.Ping(78, "x", "someone else")), Address("x"), ProbeChannel.Udp));
        Assert.Equal(1, counters[MembershipCounter.DroppedMisdirected]);
    }

    [Fact]
    public void APingReqIsRelayedUnderOurOwnNonceAndTheAckForwarded()
    {
        var requester = IPEndPoint.Parse("10.9.9.9:4000"); // replies go to where the request came from
        core.Receive(peers.Encode(ProbeMessage.PingReq(55, "b", "a", new MemberAddress("c", Address("c")))), requester, ProbeChannel.Udp);
        Outgoing relayed = Assert.Single(Sent());
        ProbeMessage ping = Decode(relayed);
        Assert.Equal((Address("c"), MessageType.Ping, "a", "c"), (relayed.To, ping.Type, ping.From, ping.To));
        Assert.NotEqual(55ul, ping.Nonce);

        core.Receive(AckFrom("c", ping.Nonce), Address("c"), ProbeChannel.Udp);
        Outgoing forwarded = Assert.Single(Sent());
        Assert.Equal(requester, forwarded.To);
        Assert.Equal(ProbeMessage.Ack(55, "a", "b", "c"), Decode(forwarded));

        core.Receive(AckFrom("c", ping.Nonce), Address("c"), ProbeChannel.Udp); // the relay is used up
        Assert.Empty(Sent());
        Assert.Equal(1, counters[MembershipCounter.DroppedUnmatchedAck]);
    }

    [Fact]
    public void RelaysAreBoundedAndForgottenAfterAPeriod()
    {
        var small = new DetectorCore(new MembershipOptions { NodeId = "a", Key = TestKeys.Cluster, MaxRelays = 2 }, time, new Random(1), 1, counters);
        for (ulong i = 0; i < 3; i++)
        {
            small.Receive(peers.Encode(ProbeMessage.PingReq(i, "b", "a", new MemberAddress("c", Address("c")))), Address("b"), ProbeChannel.Udp);
        }

        Assert.Equal(1, counters[MembershipCounter.DroppedRelayOverflow]);
        time.Advance(Period);
        small.Tick();
        small.Receive(peers.Encode(ProbeMessage.PingReq(9, "b", "a", new MemberAddress("c", Address("c")))), Address("b"), ProbeChannel.Udp);
        Assert.Equal(1, counters[MembershipCounter.DroppedRelayOverflow]);
        Assert.Equal(3, counters[MembershipCounter.RelayedPings]);
    }

    [Fact]
    public void APingReqOverTcpIsNotServed()
    {
        core.Receive(peers.Encode(ProbeMessage.PingReq(1, "b", "a", new MemberAddress("c", Address("c")))), Address("b"), ProbeChannel.Tcp);
        Assert.Empty(Sent());
        Assert.Equal(1, counters[MembershipCounter.DroppedMalformed]);
    }

    /// <summary>A dead member's ping proves nothing (it may be a replay) but makes us probe it now; its ack then makes it alive.</summary>
    [Fact]
    public void AMessageFromADeadMemberMakesUsProbeItAtOnce()
    {
        core.SetMembers([Member("b"), Member("c")]);
        core.Tick();
        List<Outgoing> lastStep = StepMany(Period + Suspicion);
        Assert.All(core.Snapshot(), s => Assert.Equal(MemberState.Dead, s.State));
        Changes();

        // The period that started as they died probes one of the two (dead members wait for their turn); take the other.
        string turn = Decode(Assert.Single(lastStep)).To;
        string quiet = turn == "b" ? "c" : "b";
        Step(TimeSpan.FromMilliseconds(10));
        Assert.Empty(Sent());

        byte[] oldPing = peers.Encode(ProbeMessage.Ping(5, quiet, "a"));
        core.Receive(oldPing, Address(quiet), ProbeChannel.Udp);
        Outgoing challenge = Assert.Single(Sent(), o => o.Channel == ProbeChannel.Udp);
        Assert.Equal(Address(quiet), challenge.To);
        core.Receive(oldPing, Address(quiet), ProbeChannel.Udp); // again: the round's ping once more, then nothing
        Assert.Equal(Decode(challenge), Decode(Assert.Single(Sent())));
        core.Receive(oldPing, Address(quiet), ProbeChannel.Udp);
        Assert.Empty(Sent());
        Assert.Empty(Changes());

        // The other one has a round in flight whose ping went nowhere (it was down then): its message gets that ping again.
        core.Receive(peers.Encode(ProbeMessage.Ping(6, turn, "a")), Address(turn), ProbeChannel.Udp);
        Outgoing again = Assert.Single(Sent());
        Assert.Equal((Address(turn), Decode(Assert.Single(lastStep)).Nonce), (again.To, Decode(again).Nonce));

        core.Receive(AckFrom(quiet, Decode(challenge).Nonce), Address(quiet), ProbeChannel.Udp);
        MemberStateChange alive = Assert.Single(Changes());
        Assert.Equal((MemberState.Dead, MemberState.Alive), (alive.Previous, alive.State));
    }

    [Fact]
    public void EveryMemberIsProbedAtLeastEverySweepOfPeriods()
    {
        string[] others = ["b", "c", "d", "e", "f", "g", "h"];
        MakeAlive(others);
        var lastProbed = new Dictionary<string, TimeSpan>();
        for (int period = 0; period < 40; period++)
        {
            Step(Period);
            List<Outgoing> pings = Sent();
            Assert.Equal(4, pings.Count); // ⌈7 ÷ 2⌉ per period
            foreach (Outgoing ping in pings)
            {
                ProbeMessage message = Decode(ping);
                TimeSpan now = core.Now;
                if (lastProbed.TryGetValue(message.To, out TimeSpan last))
                {
                    Assert.True(now - last <= 2 * Period, $"{message.To} waited {now - last}");
                }

                lastProbed[message.To] = now;
                core.Receive(AckFrom(message.To, message.Nonce), Address(message.To), ProbeChannel.Udp);
            }
        }

        Assert.Equal(others, lastProbed.Keys.Order());
        Assert.Empty(Changes());
    }

    [Fact]
    public void AfterAStallTheLoopStartsOnePeriodNotACatchUp()
    {
        MakeAlive(["b", "c", "d", "e"]);
        time.Advance(TimeSpan.FromSeconds(10));
        core.Tick();
        List<Outgoing> pings = Sent();
        Assert.Equal(2, pings.Count); // ⌈4 ÷ 2⌉: one period's worth, not the twenty that were missed
        foreach (Outgoing ping in pings)
        {
            core.Receive(AckFrom(Decode(ping).To, Decode(ping).Nonce), ping.To, ProbeChannel.Udp);
        }

        Assert.Equal(Period, core.NextDeadline - core.Now);
    }

    /// <summary>The detector itself froze for 3 s mid-round; the acks of that time are read only after its first tick.</summary>
    [Fact]
    public void OurOwnStallMakesNobodySuspect()
    {
        MakeAlive(["b", "c"]);
        Step(Period);
        List<Outgoing> pings = Sent();
        Assert.NotEmpty(pings);

        time.Advance(TimeSpan.FromSeconds(3));
        core.Tick();
        Assert.Equal(1, counters[MembershipCounter.Stalls]);
        Assert.Empty(Changes());
        foreach (Outgoing ping in pings)
        {
            core.Receive(AckFrom(Decode(ping).To, Decode(ping).Nonce), ping.To, ProbeChannel.Udp);
        }

        StepMany(TimeSpan.FromSeconds(3), answer: true);
        Assert.Empty(Changes());
        Assert.Equal(1, counters[MembershipCounter.Stalls]);
    }

    [Fact]
    public void TheMemberListIsReplacedWithoutEventsAndAMovedMemberIsProbedAtItsNewAddress()
    {
        MakeAlive(["b", "c"]);
        var moved = new IPEndPoint(IPAddress.Parse("10.0.1.99"), 7946);
        core.SetMembers([Member("b") with { EndPoint = moved }, Member("d")]);
        Assert.Equal(["b", "d"], core.Snapshot().Select(s => s.NodeId));
        Assert.Equal((moved, MemberState.Alive), (core.Snapshot()[0].EndPoint, core.Snapshot()[0].State));
        Assert.Equal([(moved, "b"), (Address("d"), "d")], Sent().Select(o => (o.To, Decode(o).To)).OrderBy(s => s.Item2));
        Assert.Empty(Changes());

        Assert.Throws<ArgumentException>(() => core.SetMembers([Member("b"), Member("b")]));
        Assert.Throws<ArgumentException>(() => core.SetMembers([new MemberAddress("b", new IPEndPoint(IPAddress.Loopback, 0))]));
        Assert.Throws<ArgumentException>(() => core.SetMembers([new MemberAddress(new string('x', 200), Address("b"))]));
    }

    [Fact]
    public void GarbageNeverThrows()
    {
        core.SetMembers([Member("b"), Member("c")]);
        int seed = Environment.TickCount;
        var random = new Random(seed);
        byte[][] valid =
        [
            peers.Encode(ProbeMessage.Ping(1, "b", "a")), peers.Encode(ProbeMessage.Ack(1000, "b", "a", "b")),
            peers.Encode(ProbeMessage.PingReq(3, "b", "a", new MemberAddress("c", Address("c")))),
        ];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] bytes = i % 3 == 0 ? new byte[random.Next(0, 600)] : (byte[])valid[random.Next(valid.Length)].Clone();
            if (i % 3 == 0)
            {
                random.NextBytes(bytes);
            }
            else if (bytes.Length > 0)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
            }

            core.Receive(bytes, Address("b"), (ProbeChannel)(i % 2));
            if (i % 1000 == 0)
            {
                Step(TimeSpan.FromMilliseconds(50));
            }
        }

        Assert.True(counters[MembershipCounter.DroppedBadMac] + counters[MembershipCounter.DroppedMalformed] > 19_000, $"seed {seed}: {counters}");
        Assert.Equal(0, counters[MembershipCounter.Received]);
    }

    private static MemberAddress Member(string id) => new(id, Address(id));

    /// <summary>b → 10.0.0.2, c → 10.0.0.3, …</summary>
    private static IPEndPoint Address(string id) => new(IPAddress.Parse($"10.0.0.{id[0] - 'a' + 1}"), 7946);

    private byte[] AckFrom(string id, ulong nonce) => peers.Encode(ProbeMessage.Ack(nonce, id, "a", id));

    private ProbeMessage Decode(Outgoing outgoing) => Decode(outgoing.Message);

    private ProbeMessage Decode(byte[] bytes)
    {
        Assert.Equal(DecodeResult.Ok, peers.TryDecode(bytes, out ProbeMessage message));
        return message;
    }

    /// <summary>Sets the members and answers their first pings, then lets that round end.</summary>
    private void MakeAlive(string[] ids)
    {
        core.SetMembers(ids.Select(Member).ToArray());
        core.Tick(); // the first period starts at once, as in the loop; its targets are in their first rounds already
        AnswerAll();
        Assert.All(core.Snapshot(), s => Assert.Equal(MemberState.Alive, s.State));
        Changes();
        Step(Period); // the first period's rounds end; the next period starts
        AnswerAll();
    }

    /// <summary>Answers every ping sent so far (rounds that are not under test).</summary>
    private void AnswerAll()
    {
        foreach (Outgoing ping in Sent())
        {
            ProbeMessage message = Decode(ping);
            core.Receive(AckFrom(message.To, message.Nonce), ping.To, ProbeChannel.Udp);
        }
    }

    /// <summary>Lets the current rounds end answered and runs periods until <paramref name="id"/> gets a round of its own; returns it.</summary>
    private ulong StartRoundFor(string id)
    {
        for (int period = 0; period < 10; period++)
        {
            Step(Period);
            List<Outgoing> pings = Sent();
            Outgoing? mine = pings.Cast<Outgoing?>().FirstOrDefault(p => Decode(p!.Value).To == id);
            foreach (Outgoing ping in pings.Where(p => Decode(p).To != id))
            {
                core.Receive(AckFrom(Decode(ping).To, Decode(ping).Nonce), ping.To, ProbeChannel.Udp);
            }

            if (mine is { } found)
            {
                return Decode(found).Nonce;
            }
        }

        throw new InvalidOperationException($"{id} was never probed");
    }

    /// <summary>Advances in 10 ms ticks, as the loop would wake; returns what the last tick sent (earlier sends are dropped).</summary>
    private List<Outgoing> StepMany(TimeSpan by, bool answer = false)
    {
        List<Outgoing> last = [];
        for (TimeSpan done = TimeSpan.Zero; done < by; done += TimeSpan.FromMilliseconds(10))
        {
            Step(TimeSpan.FromMilliseconds(10));
            last = Sent();
            if (answer)
            {
                foreach (Outgoing ping in last.Where(o => o.Channel == ProbeChannel.Udp))
                {
                    core.Receive(AckFrom(Decode(ping).To, Decode(ping).Nonce), ping.To, ProbeChannel.Udp);
                }
            }
        }

        return last;
    }

    private void Step(TimeSpan by)
    {
        time.Advance(by);
        core.Tick();
    }

    private List<Outgoing> Sent()
    {
        var sent = new List<Outgoing>();
        core.DrainOutbox(sent);
        return sent;
    }

    private List<MemberStateChange> Changes()
    {
        core.DrainChanges(changes);
        List<MemberStateChange> taken = [.. changes];
        changes.Clear();
        return taken;
    }
}
