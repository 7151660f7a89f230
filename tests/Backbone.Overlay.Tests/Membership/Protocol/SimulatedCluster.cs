using System.Net;
using Backbone.Overlay.Membership;
using Backbone.Overlay.Membership.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Backbone.Overlay.Tests.Membership.Protocol;

/// <summary>
/// Several <see cref="DetectorCore"/>s on one fake clock, joined by a simulated network with a
/// fixed latency: a discrete-event simulation that jumps the clock to the next delivery or
/// deadline, so a minute of protocol runs in milliseconds with nothing left to chance but the
/// seed. Nodes are n1..nN at 10.0.0.i:7946; links can be blocked per channel and direction.
/// </summary>
internal sealed class SimulatedCluster
{
    private readonly PriorityQueue<Delivery, (TimeSpan At, long Order)> inFlight = new();
    private readonly Random random;
    private readonly Func<MembershipOptions, MembershipOptions> configure;
    private long deliveries;

    public SimulatedCluster(int seed, int size, Func<MembershipOptions, MembershipOptions>? configure = null)
    {
        Seed = seed;
        random = new Random(seed);
        this.configure = configure ?? (o => o);
        Nodes = Enumerable.Range(1, size).Select(i => new SimNode($"n{i}", new IPEndPoint(IPAddress.Parse($"10.0.0.{i}"), 7946))).ToList();
    }

    public int Seed { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public IReadOnlyList<SimNode> Nodes { get; }

    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Drops a message from a node to a node on a channel when it returns true (for TCP: the connection, both ways).</summary>
    public Func<string, string, ProbeChannel, bool> Blocked { get; set; } = (_, _, _) => false;

    /// <summary>Every delivered message, for tests that replay them.</summary>
    public List<(string From, string To, byte[] Message, ProbeChannel Channel)> Wire { get; } = [];

    public TimeSpan Elapsed => Time.GetUtcNow() - new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public SimNode this[string id] => Nodes.Single(n => n.Id == id);

    public MembershipOptions OptionsFor(SimNode node) => configure(new MembershipOptions { NodeId = node.Id, Key = node.Key });

    /// <summary>Starts every node that is not running, each given the whole member list (itself included, as the store would).</summary>
    public void StartAll(bool withMembers = true)
    {
        foreach (SimNode node in Nodes.Where(n => n.Core is null))
        {
            Start(node.Id, withMembers);
        }
    }

    /// <param name="withMembers">
    /// False: the core starts with no members and ticks once, as the real detector does before its
    /// owner's first <see cref="GiveMembers"/>; its periods then run off the beat of the list's arrival.
    /// </param>
    public void Start(string id, bool withMembers = true)
    {
        SimNode node = this[id];
        node.Counters = new MembershipCounters();
        node.Core = new DetectorCore(OptionsFor(node), Time, new Random(random.Next()), (ulong)random.NextInt64(), node.Counters);
        if (withMembers)
        {
            GiveMembers(id);
        }
        else
        {
            node.Core.Tick();
        }
    }

    /// <summary>Gives the node the whole member list, itself included, as the store would.</summary>
    public void GiveMembers(string id)
    {
        SimNode node = this[id];
        node.Core!.SetMembers(Nodes.Select(n => new MemberAddress(n.Id, n.EndPoint)).ToArray());
        Drain(node);
    }

    /// <summary>The node stops at once: no ticks, nothing delivered to it, its messages in flight still arrive.</summary>
    public void Stop(string id) => this[id].Core = null;

    public MemberState StateOf(string observer, string subject) =>
        this[observer].Core!.Snapshot().Single(s => s.NodeId == subject).State;

    /// <summary>Injects bytes as if <paramref name="from"/> had sent them to <paramref name="to"/> now.</summary>
    public void Inject(string from, string to, byte[] message, ProbeChannel channel)
    {
        inFlight.Enqueue(new Delivery(this[from], this[to].EndPoint, message, channel, IsReply: false), (Elapsed, deliveries++));
        RunFor(TimeSpan.Zero);
    }

    /// <summary>Runs the simulation for <paramref name="duration"/> of fake time.</summary>
    public void RunFor(TimeSpan duration)
    {
        TimeSpan end = Elapsed + duration;
        while (true)
        {
            DoWhatIsDue();
            TimeSpan next = end;
            if (inFlight.TryPeek(out _, out (TimeSpan At, long Order) first) && first.At < next)
            {
                next = first.At;
            }

            foreach (SimNode node in Nodes)
            {
                if (node.Core is { } core)
                {
                    TimeSpan due = Elapsed + (core.NextDeadline - core.Now);
                    next = due < next ? due : next;
                }
            }

            if (next <= Elapsed)
            {
                if (Elapsed >= end)
                {
                    return;
                }

                continue;
            }

            Time.Advance(next - Elapsed);
        }
    }

    private void DoWhatIsDue()
    {
        bool any = true;
        for (int rounds = 0; any; rounds++)
        {
            // A core whose deadline stays due after a tick would spin here forever: that is a bug to report.
            Assert.True(rounds < 100_000, $"seed {Seed}: the simulation makes no progress at {Elapsed}");
            any = false;
            while (inFlight.TryPeek(out Delivery delivery, out (TimeSpan At, long Order) key) && key.At <= Elapsed)
            {
                inFlight.Dequeue();
                Deliver(delivery);
                any = true;
            }

            foreach (SimNode node in Nodes)
            {
                if (node.Core is { } core && core.NextDeadline <= core.Now)
                {
                    core.Tick();
                    Drain(node);
                    any = true;
                }
            }
        }
    }

    private void Deliver(Delivery delivery)
    {
        SimNode? to = Nodes.SingleOrDefault(n => n.EndPoint.Equals(delivery.To));
        if (to?.Core is null || Blocked(delivery.From.Id, to.Id, delivery.Channel)
            || (delivery.Channel == ProbeChannel.Tcp && Blocked(to.Id, delivery.From.Id, delivery.Channel)))
        {
            return;
        }

        Wire.Add((delivery.From.Id, to.Id, delivery.Message, delivery.Channel));
        byte[]? reply = to.Core.Receive(delivery.Message, delivery.From.EndPoint, delivery.Channel);

        // A TCP reply travels back on its connection; a UDP reply is a datagram to the sender's address.
        if (reply is not null && !(delivery.Channel == ProbeChannel.Tcp && delivery.IsReply))
        {
            inFlight.Enqueue(new Delivery(to, delivery.From.EndPoint, reply, delivery.Channel, IsReply: true), (Elapsed + Latency, deliveries++));
        }

        Drain(to);
    }

    private void Drain(SimNode node)
    {
        var outgoing = new List<Outgoing>();
        node.Core!.DrainOutbox(outgoing);
        foreach (Outgoing message in outgoing)
        {
            inFlight.Enqueue(new Delivery(node, message.To, message.Message, message.Channel, IsReply: false), (Elapsed + Latency, deliveries++));
        }

        var changes = new List<MemberStateChange>();
        node.Core.DrainChanges(changes);
        node.Changes.AddRange(changes.Select(c => (Elapsed, c)));
    }

    private readonly record struct Delivery(SimNode From, IPEndPoint To, byte[] Message, ProbeChannel Channel, bool IsReply);
}

/// <summary>One simulated host: its identity, its key (changeable before start) and, while it runs, its core.</summary>
internal sealed class SimNode(string id, IPEndPoint endPoint)
{
    public string Id { get; } = id;

    public IPEndPoint EndPoint { get; } = endPoint;

    public byte[] Key { get; set; } = TestKeys.Cluster;

    public DetectorCore? Core { get; set; }

    public MembershipCounters Counters { get; set; } = new();

    /// <summary>Every change this node made, with the simulation time it was made at.</summary>
    public List<(TimeSpan At, MemberStateChange Change)> Changes { get; } = [];

    public IEnumerable<(TimeSpan At, MemberStateChange Change)> ChangesOf(string subject) => Changes.Where(c => c.Change.NodeId == subject);
}
