using Backbone.Overlay.Membership;
using Xunit.Abstractions;

namespace Backbone.Overlay.Tests.Membership.Protocol;

/// <summary>
/// Whole clusters of cores over a simulated network on a fake clock (<see cref="SimulatedCluster"/>):
/// the timing bound is checked exactly, over many seeds, sizes and moments of death.
/// </summary>
public sealed class SimulationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);

    [Fact]
    public void EveryoneIsAliveAndNobodyIsEverSuspectedOnAQuietNetwork()
    {
        var cluster = new SimulatedCluster(seed: 1, size: 6);
        cluster.StartAll();
        cluster.RunFor(TimeSpan.FromMinutes(1));
        foreach (SimNode node in cluster.Nodes)
        {
            Assert.Equal(5, node.Changes.Count);
            Assert.All(node.Changes, c => Assert.Equal((MemberState.Unknown, MemberState.Alive), (c.Change.Previous, c.Change.State)));
            Assert.All(node.Changes, c => Assert.True(c.At <= TimeSpan.FromMilliseconds(5), $"alive only at {c.At}"));
        }
    }

    /// <summary>
    /// The bound of README.md: a member that dies is declared dead by every other member at most
    /// SweepPeriods × T + T + S = 2.5 s later, whatever the moment of its death (soon after the
    /// member list arrived, off the periods' beat, or long after), the cluster's size or the order
    /// of probes; and no survivor ever suspects another survivor.
    /// </summary>
    [Fact]
    public void ADeadMemberIsDeclaredDeadByEveryOtherWithinTheBound()
    {
        var options = new MembershipOptions { NodeId = "x", Key = TestKeys.Cluster };
        TimeSpan bound = options.DeadWithin;
        Assert.Equal(TimeSpan.FromMilliseconds(2500), bound);
        TimeSpan worst = TimeSpan.Zero;
        TimeSpan total = TimeSpan.Zero;
        int declarations = 0;
        TimeSpan firstTotal = TimeSpan.Zero;
        for (int seed = 1; seed <= 60; seed++)
        {
            int size = 2 + (seed % 9);
            var cluster = new SimulatedCluster(seed, size);
            var random = new Random(seed);
            if (seed % 2 == 0)
            {
                cluster.StartAll();
            }
            else
            {
                // As the real detector starts: ticking with no members; the list comes a moment later, to each its own.
                cluster.StartAll(withMembers: false);
                foreach (SimNode node in cluster.Nodes)
                {
                    cluster.RunFor(TimeSpan.FromMicroseconds(random.Next(0, 200_000)));
                    cluster.GiveMembers(node.Id);
                }
            }

            cluster.RunFor(TimeSpan.FromMicroseconds(random.Next(20_000, seed % 4 == 1 ? 1_000_000 : 5_000_000)));
            string victim = $"n{random.Next(1, size + 1)}";
            TimeSpan diedAt = cluster.Elapsed;
            cluster.Stop(victim);
            cluster.RunFor(TimeSpan.FromSeconds(5));

            TimeSpan first = TimeSpan.MaxValue;
            foreach (SimNode survivor in cluster.Nodes.Where(n => n.Id != victim))
            {
                (TimeSpan At, MemberStateChange Change) dead = survivor.ChangesOf(victim).Single(c => c.Change.State == MemberState.Dead);
                TimeSpan after = dead.At - diedAt;
                Assert.True(after <= bound, $"seed {seed}, {size} members: {survivor.Id} declared {victim} dead {after} after it died");
                Assert.True(after >= Period + options.SuspicionTimeout - TimeSpan.FromMilliseconds(2), $"seed {seed}: too soon, {after}");
                worst = after > worst ? after : worst;
                first = after < first ? after : first;
                total += after;
                declarations++;
                Assert.All(survivor.Changes.Where(c => c.Change.NodeId != victim),
                    c => Assert.Equal(MemberState.Alive, c.Change.State));
            }

            firstTotal += first;
        }

        // The store hears it from the first member to declare it: that is what DNS answers wait for.
        output.WriteLine($"{declarations} declarations: mean {total / declarations}, worst {worst}, bound {bound}; first per death: mean {firstTotal / 60}");
    }

    [Fact]
    public void ARestartedMemberIsAliveAgainForEveryoneAtOnce()
    {
        var cluster = new SimulatedCluster(seed: 2, size: 5);
        cluster.StartAll();
        cluster.RunFor(TimeSpan.FromSeconds(2));
        cluster.Stop("n3");
        cluster.RunFor(TimeSpan.FromSeconds(3));
        Assert.All(cluster.Nodes.Where(n => n.Id != "n3"), n => Assert.Equal(MemberState.Dead, cluster.StateOf(n.Id, "n3")));

        TimeSpan restartedAt = cluster.Elapsed;
        cluster.Start("n3");
        cluster.RunFor(Period);
        foreach (SimNode node in cluster.Nodes.Where(n => n.Id != "n3"))
        {
            (TimeSpan At, MemberStateChange Change) alive = node.ChangesOf("n3").Last();
            Assert.Equal((MemberState.Dead, MemberState.Alive), (alive.Change.Previous, alive.Change.State));

            // Its first pings make everyone probe it rather than wait for its turn: a few latencies.
            Assert.True(alive.At - restartedAt <= TimeSpan.FromMilliseconds(10), $"{node.Id}: alive {alive.At - restartedAt} after the restart");
        }

        Assert.All(cluster.Nodes.Where(n => n.Id != "n3"), n => Assert.Equal(MemberState.Alive, cluster.StateOf("n3", n.Id)));
    }

    [Fact]
    public void AMemberWhoseUdpIsBlockedButTcpWorksStaysAlive()
    {
        var cluster = new SimulatedCluster(seed: 3, size: 4)
        {
            Blocked = (from, to, channel) => channel == ProbeChannel.Udp && (from == "n4" || to == "n4"),
        };
        cluster.StartAll();
        cluster.RunFor(TimeSpan.FromSeconds(30));
        foreach (SimNode node in cluster.Nodes.Where(n => n.Id != "n4"))
        {
            Assert.Equal(MemberState.Alive, cluster.StateOf(node.Id, "n4"));
            Assert.DoesNotContain(node.ChangesOf("n4"), c => c.Change.State is MemberState.Suspect or MemberState.Dead);
            Assert.True(node.Counters[MembershipCounter.TcpAcks] > 0);
        }

        Assert.All(cluster.Nodes.Where(n => n.Id != "n4"), n => Assert.Equal(MemberState.Alive, cluster.StateOf("n4", n.Id)));
    }

    [Fact]
    public void IndirectProbesKeepAMemberAliveWhenOnlyTheDirectPathIsBrokenAndNotOtherwise()
    {
        // n1 and n3 cannot reach each other at all; n2 reaches both.
        bool cutBetween(string a, string b, string from, string to) => (from == a && to == b) || (from == b && to == a);
        var cluster = new SimulatedCluster(seed: 4, size: 3) { Blocked = (from, to, _) => cutBetween("n1", "n3", from, to) };
        cluster.StartAll();
        cluster.RunFor(TimeSpan.FromSeconds(1));

        // Unknown at first: helpers must be alive, and n2 only is. From now on n3 must never be suspected.
        cluster.RunFor(TimeSpan.FromSeconds(30));
        Assert.Equal(MemberState.Alive, cluster.StateOf("n1", "n3"));
        Assert.Equal(MemberState.Alive, cluster.StateOf("n3", "n1"));
        Assert.True(cluster["n1"].Counters[MembershipCounter.IndirectAcks] > 0);
        Assert.True(cluster["n2"].Counters[MembershipCounter.RelayedPings] > 0);
        Assert.DoesNotContain(cluster["n1"].ChangesOf("n3").Where(c => c.At > TimeSpan.FromSeconds(1)), c => c.Change.State != MemberState.Alive);

        // Now n2 loses n3 too: nobody can vouch for it.
        cluster.Blocked = (from, to, _) => cutBetween("n1", "n3", from, to) || cutBetween("n2", "n3", from, to);
        TimeSpan cutAt = cluster.Elapsed;
        cluster.RunFor(TimeSpan.FromSeconds(3));
        foreach (string observer in new[] { "n1", "n2" })
        {
            (TimeSpan At, MemberStateChange Change) dead = cluster[observer].ChangesOf("n3").Last();
            Assert.Equal(MemberState.Dead, dead.Change.State);
            Assert.True(dead.At - cutAt <= TimeSpan.FromMilliseconds(2500));
        }
    }

    [Fact]
    public void AMemberWithTheWrongKeyIsNeverAlive()
    {
        var cluster = new SimulatedCluster(seed: 5, size: 4);
        cluster["n4"].Key = TestKeys.Other;
        cluster.StartAll();
        cluster.RunFor(TimeSpan.FromSeconds(20));
        foreach (SimNode node in cluster.Nodes.Where(n => n.Id != "n4"))
        {
            Assert.Equal([MemberState.Suspect, MemberState.Dead], node.ChangesOf("n4").Select(c => c.Change.State));
            Assert.True(node.Counters[MembershipCounter.DroppedBadMac] > 0);
        }

        Assert.DoesNotContain(cluster["n4"].Changes, c => c.Change.State == MemberState.Alive);
    }

    [Fact]
    public void AShortOutageMakesAMemberSuspectButNotDead()
    {
        var cluster = new SimulatedCluster(seed: 6, size: 5);
        cluster.StartAll();
        cluster.RunFor(TimeSpan.FromSeconds(3));

        // 1.2 s of silence: long enough for some round to fail, too short for a suspicion to run out.
        cluster.Blocked = (from, to, _) => from == "n5" || to == "n5";
        cluster.RunFor(TimeSpan.FromMilliseconds(1200));
        cluster.Blocked = (_, _, _) => false;
        cluster.RunFor(TimeSpan.FromSeconds(5));

        IEnumerable<MemberState> seen = cluster.Nodes.Where(n => n.Id != "n5").SelectMany(n => n.ChangesOf("n5")).Select(c => c.Change.State);
        Assert.Contains(MemberState.Suspect, seen);
        Assert.DoesNotContain(MemberState.Dead, seen);
        Assert.All(cluster.Nodes.Where(n => n.Id != "n5"), n => Assert.Equal(MemberState.Alive, cluster.StateOf(n.Id, "n5")));
    }

    [Fact]
    public void ReplayedAcksAndPingsOfADeadMemberDoNotBringItBack()
    {
        var cluster = new SimulatedCluster(seed: 7, size: 3);
        cluster.StartAll();
        cluster.RunFor(TimeSpan.FromSeconds(3));
        var captured = cluster.Wire.Where(w => w.From == "n3" && w.To == "n1").ToList(); // its acks and pings to n1, and acks it relayed
        Assert.NotEmpty(captured);
        cluster.Stop("n3");

        // An attacker on the wire replays everything n3 ever sent to n1, every 50 ms, for 5 s.
        for (int i = 0; i < 100; i++)
        {
            foreach ((string from, string to, byte[] message, ProbeChannel channel) in captured)
            {
                cluster.Inject(from, to, message, channel);
            }

            cluster.RunFor(TimeSpan.FromMilliseconds(50));
        }

        Assert.Equal([MemberState.Alive, MemberState.Suspect, MemberState.Dead], cluster["n1"].ChangesOf("n3").Select(c => c.Change.State));
        Assert.True(cluster["n1"].Counters[MembershipCounter.DroppedUnmatchedAck] > 0);
    }

    [Fact]
    public void MembersAddedLaterAreProbedAtOnceAndRemovedOnesForgotten()
    {
        var cluster = new SimulatedCluster(seed: 8, size: 4);
        cluster.StartAll();
        cluster.RunFor(TimeSpan.FromSeconds(2));
        var fewer = cluster.Nodes.Where(n => n.Id != "n4").Select(n => new MemberAddress(n.Id, n.EndPoint)).ToArray();
        cluster["n1"].Core!.SetMembers(fewer);
        Assert.Equal(["n2", "n3"], cluster["n1"].Core!.Snapshot().Select(s => s.NodeId));
        int changes = cluster["n1"].Changes.Count;
        cluster.RunFor(TimeSpan.FromSeconds(2));
        Assert.Equal(changes, cluster["n1"].Changes.Count);

        cluster["n1"].Core!.SetMembers(cluster.Nodes.Select(n => new MemberAddress(n.Id, n.EndPoint)).ToArray());
        Assert.Equal(MemberState.Unknown, cluster.StateOf("n1", "n4"));
        cluster.RunFor(TimeSpan.FromMilliseconds(10));
        Assert.Equal(MemberState.Alive, cluster.StateOf("n1", "n4"));
    }
}
