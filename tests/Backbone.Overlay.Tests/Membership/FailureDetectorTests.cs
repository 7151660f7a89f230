using System.Net;
using System.Net.Sockets;
using Backbone.Overlay.Membership;
using Xunit.Abstractions;

namespace Backbone.Overlay.Tests.Membership;

/// <summary>
/// Real sockets on loopback, several detectors in this process, default timings. Each test uses
/// its own 127.0.N.0/24 so that a link can be cut by address (<see cref="FailureDetector.DropLink"/>).
/// Waits are polls with generous deadlines: the exact 2.5 s bound is checked on the fake clock
/// (SimulationTests); here the measured times are printed.
/// </summary>
public sealed class FailureDetectorTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DeadWithin = TimeSpan.FromSeconds(10); // the bound is 2.5 s; the machine is shared

    [Fact]
    public async Task AStoppedMemberIsDeadForTheOthersAndAliveAgainWhenItRestarts()
    {
        await using LiveCluster cluster = LiveCluster.Start(net: 101, size: 4);
        await AllAliveAsync(cluster, 4);

        TimeSpan stoppedAt = cluster.Elapsed;
        await cluster.StopAsync(3);
        await LiveCluster.EventuallyAsync(() => Enumerable.Range(0, 3).All(i => cluster.StateOf(i, 3) == MemberState.Dead), DeadWithin, cluster.Describe);
        foreach (int observer in new[] { 0, 1, 2 })
        {
            TimeSpan deadAt = cluster.Changes[observer].Last(c => c.Change.NodeId == "n4").At;
            output.WriteLine($"n{observer + 1} declared n4 dead {(deadAt - stoppedAt).TotalMilliseconds:0} ms after it stopped"
                + $" (stalls of its own so far: {cluster[observer].Counters[MembershipCounter.Stalls]})");
            Assert.Equal([MemberState.Suspect, MemberState.Dead],
                cluster.Changes[observer].Where(c => c.At > stoppedAt && c.Change.NodeId == "n4").Select(c => c.Change.State));
        }

        TimeSpan restartedAt = cluster.Elapsed;
        cluster.Restart(3);
        await AllAliveAsync(cluster, 4);
        foreach (int observer in new[] { 0, 1, 2 })
        {
            TimeSpan aliveAt = cluster.Changes[observer].Last(c => c.Change.NodeId == "n4").At;
            output.WriteLine($"n{observer + 1} saw n4 alive again {(aliveAt - restartedAt).TotalMilliseconds:0} ms after the restart");
        }

        Assert.All(new[] { 0, 1, 2 }, i => Assert.Equal(MemberState.Alive, cluster.ChangesOf(i, 3).Last().State));
    }

    [Fact]
    public async Task AMemberWhoseUdpIsBlockedButTcpWorksIsNotDeclaredDead()
    {
        IPAddress n3 = IPAddress.Parse("127.0.102.3");
        await using LiveCluster cluster = LiveCluster.Start(net: 102, size: 3);
        cluster[0].DropLink = (remote, channel) => channel == ProbeChannel.Udp && remote.Address.Equals(n3);
        cluster[1].DropLink = (remote, channel) => channel == ProbeChannel.Udp && remote.Address.Equals(n3);
        cluster[2].DropLink = (_, channel) => channel == ProbeChannel.Udp;

        await AllAliveAsync(cluster, 3);
        long tcpAcks = cluster[0].Counters[MembershipCounter.TcpAcks];
        await Task.Delay(TimeSpan.FromSeconds(4)); // eight periods: each probe of n3 fails over UDP and succeeds over TCP
        foreach (int observer in new[] { 0, 1 })
        {
            Assert.DoesNotContain(cluster.ChangesOf(observer, 2), c => c.State == MemberState.Dead);
            Assert.Equal(MemberState.Alive, cluster.StateOf(observer, 2));
        }

        Assert.True(cluster[0].Counters[MembershipCounter.TcpAcks] > tcpAcks, cluster.Describe());
        Assert.True(cluster[0].Counters[MembershipCounter.DroppedByFault] > 0, cluster.Describe()); // the cut was real
    }

    [Fact]
    public async Task AMemberWithTheWrongKeyIsNeverConsideredAlive()
    {
        await using LiveCluster cluster = LiveCluster.Start(net: 103, size: 4, (i, o) => i == 3 ? o with { Key = TestKeys.Other } : o);
        await LiveCluster.EventuallyAsync(() => Enumerable.Range(0, 3).All(i => cluster.StateOf(i, 3) == MemberState.Dead), DeadWithin, cluster.Describe);
        await Task.Delay(TimeSpan.FromSeconds(1));
        foreach (int observer in new[] { 0, 1, 2 })
        {
            Assert.DoesNotContain(cluster.ChangesOf(observer, 3), c => c.State == MemberState.Alive);
            Assert.True(cluster[observer].Counters[MembershipCounter.DroppedBadMac] > 0);
            Assert.Equal(MemberState.Alive, cluster.StateOf(observer, (observer + 1) % 3));
        }

        Assert.DoesNotContain(cluster.Changes[3], c => c.Change.State == MemberState.Alive);
    }

    [Fact]
    public async Task IndirectProbesCarryAMemberWhoseDirectPathIsCutAndItDiesWhenTheLastPathIsCut()
    {
        IPAddress n1 = IPAddress.Parse("127.0.104.1"), n2 = IPAddress.Parse("127.0.104.2"), n3 = IPAddress.Parse("127.0.104.3");
        await using LiveCluster cluster = LiveCluster.Start(net: 104, size: 3);
        cluster[0].DropLink = (remote, _) => remote.Address.Equals(n3);
        cluster[2].DropLink = (remote, _) => remote.Address.Equals(n1);

        await AllAliveAsync(cluster, 3);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(MemberState.Alive, cluster.StateOf(0, 2));
        Assert.Equal(MemberState.Alive, cluster.StateOf(2, 0));
        Assert.DoesNotContain(cluster.ChangesOf(0, 2), c => c.State == MemberState.Dead);
        Assert.True(cluster[0].Counters[MembershipCounter.IndirectAcks] > 0, cluster.Describe());
        Assert.True(cluster[1].Counters[MembershipCounter.RelayedPings] > 0, cluster.Describe());

        cluster[1].DropLink = (remote, _) => remote.Address.Equals(n3);
        cluster[2].DropLink = (remote, _) => remote.Address.Equals(n1) || remote.Address.Equals(n2);
        await LiveCluster.EventuallyAsync(() => cluster.StateOf(0, 2) == MemberState.Dead && cluster.StateOf(1, 2) == MemberState.Dead,
            DeadWithin, cluster.Describe);
    }

    /// <summary>Garbage on both sockets, idle and oversized TCP connections: counted and dropped; the member keeps probing and answering.</summary>
    [Fact]
    public async Task GarbageAndIdleConnectionsNeitherCrashNorStopTheDetector()
    {
        await using LiveCluster cluster = LiveCluster.Start(net: 105, size: 2, (_, o) => o with { MaxTcpConnections = 4, TcpTimeout = TimeSpan.FromMilliseconds(500) });
        await AllAliveAsync(cluster, 2);
        IPEndPoint target = cluster.Addresses[0].EndPoint;
        int seed = Environment.TickCount;
        var random = new Random(seed);

        using (var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            sender.Bind(new IPEndPoint(IPAddress.Parse("127.0.105.9"), 0));
            for (int i = 0; i < 3000; i++)
            {
                byte[] junk = new byte[random.Next(0, i % 100 == 0 ? 1500 : 200)];
                random.NextBytes(junk);
                await sender.SendToAsync(junk, SocketFlags.None, target);
            }
        }

        var idle = new List<Socket>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                var connection = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                idle.Add(connection);
                await connection.ConnectAsync(target);
            }

            foreach (byte[] junk in new[] { new byte[] { 0xFF, 0xFF, 1, 2, 3 }, new byte[] { 0, 0 }, new byte[] { 0, 60, 1 }, RandomBytes(random, 300) })
            {
                using var connection = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await connection.ConnectAsync(target);
                await connection.SendAsync(junk, SocketFlags.None);
                connection.Shutdown(SocketShutdown.Send);
            }

            await LiveCluster.EventuallyAsync(() => cluster[0].Counters[MembershipCounter.TcpConnectionsRefused] > 0, Settle, cluster.Describe);
            long directAcks = cluster[0].Counters[MembershipCounter.DirectAcks];
            await LiveCluster.EventuallyAsync(() => cluster[0].Counters[MembershipCounter.DirectAcks] > directAcks + 2, Settle, cluster.Describe);
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }

        MembershipCounters counters = cluster[0].Counters;
        // Not all 3,000: the kernel drops what the socket's receive buffer cannot hold during the burst.
        Assert.True(counters[MembershipCounter.DroppedMalformed] > 0 && counters[MembershipCounter.DroppedBadMac] > 100, $"seed {seed}: {counters}");
        Assert.Equal(0, counters[MembershipCounter.HandlerErrors]);
        Assert.Equal(MemberState.Alive, cluster.StateOf(0, 1));
        Assert.Equal(MemberState.Alive, cluster.StateOf(1, 0));
        Assert.DoesNotContain(cluster.Changes[1], c => c.Change.State != MemberState.Alive);
    }

    [Fact]
    public async Task DisposeClosesBothSocketsAndEndsTheEvents()
    {
        await using LiveCluster cluster = LiveCluster.Start(net: 106, size: 2);
        await AllAliveAsync(cluster, 2);
        IPEndPoint endPoint = cluster.Addresses[0].EndPoint;
        await cluster.StopAsync(0);
        int seen = cluster.Changes[0].Count;

        using (var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        using (var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            udp.Bind(endPoint);
            tcp.Bind(endPoint);
        }

        await LiveCluster.EventuallyAsync(() => cluster.StateOf(1, 0) == MemberState.Dead, DeadWithin, cluster.Describe);
        Assert.Equal(seen, cluster.Changes[0].Count);
    }

    [Fact]
    public async Task StartRefusesBadOptionsAndABusyPort()
    {
        var options = new MembershipOptions { NodeId = "n1", Key = TestKeys.Cluster, BindAddress = IPAddress.Parse("127.0.107.1"), Port = 0 };
        Assert.Throws<ArgumentException>(() => FailureDetector.Start(options with { Key = new byte[8] }));
        Assert.Throws<ArgumentException>(() => FailureDetector.Start(options with { ProbeTimeout = options.ProtocolPeriod }));
        Assert.Throws<ArgumentException>(() => FailureDetector.Start(options with { NodeId = "" }));

        await using FailureDetector first = FailureDetector.Start(options);
        Assert.Throws<SocketException>(() => FailureDetector.Start(options with { Port = first.LocalEndPoint.Port }));
        Assert.Throws<ArgumentException>(() => first.SetMembers([new MemberAddress("x", first.LocalEndPoint), new MemberAddress("x", first.LocalEndPoint)]));
    }

    [Fact]
    public async Task AThrowingHandlerIsCountedAndTheOthersStillHearTheChange()
    {
        await using LiveCluster cluster = LiveCluster.Start(net: 108, size: 2);
        await using FailureDetector third = FailureDetector.Start(new MembershipOptions
        {
            NodeId = "n3", Key = TestKeys.Cluster, BindAddress = IPAddress.Parse("127.0.108.3"), Port = 0,
        });
        third.MemberStateChanged += (_, _) => throw new InvalidOperationException("a handler with a bug");
        var heard = new List<MemberStateChange>();
        third.MemberStateChanged += (_, change) =>
        {
            lock (heard)
            {
                heard.Add(change);
            }
        };
        third.SetMembers([.. cluster.Addresses, new MemberAddress("n3", third.LocalEndPoint)]);
        int Heard()
        {
            lock (heard)
            {
                return heard.Count;
            }
        }

        await LiveCluster.EventuallyAsync(() => Heard() == 2, Settle, () => string.Join(",", third.Snapshot()));
        Assert.All(third.Snapshot(), s => Assert.Equal(MemberState.Alive, s.State));

        Assert.Equal(2, third.Counters[MembershipCounter.HandlerErrors]);
    }

    private static async Task AllAliveAsync(LiveCluster cluster, int size) =>
        await LiveCluster.EventuallyAsync(
            () => Enumerable.Range(0, size).All(i => Enumerable.Range(0, size).All(j => i == j || cluster.StateOf(i, j) == MemberState.Alive)),
            Settle, cluster.Describe);

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
