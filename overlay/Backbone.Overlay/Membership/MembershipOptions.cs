using System.Net;

namespace Backbone.Overlay.Membership;

/// <summary>
/// Who this detector is, where it listens, the shared key and the protocol's timings. The defaults
/// declare a dead member <see cref="MemberState.Dead"/> at most
/// <c>SweepPeriods × ProtocolPeriod + ProtocolPeriod + SuspicionTimeout</c> = 1.0 + 0.5 + 1.0 = 2.5 s
/// after it stops answering (README.md, "The 3-second arithmetic").
/// </summary>
public sealed record MembershipOptions
{
    /// <summary>The control plane's port between agents (ARCHITECTURE.md), UDP and TCP.</summary>
    public const int DefaultPort = 7946;

    /// <summary>Bounds what a datagram or TCP frame may hold; the largest message we make is about 450 bytes.</summary>
    public const int MaxMessageBytes = 512;

    /// <summary>This node's id, as the store names it; a member with this id in <c>SetMembers</c> is skipped.</summary>
    public required string NodeId { get; init; }

    /// <summary>
    /// The HMAC-SHA256 key every message is signed and checked with, the same on every member (at
    /// least 16 bytes; <see cref="MembershipKey.Derive"/> makes one from the cluster's secret).
    /// </summary>
    public required byte[] Key { get; init; }

    /// <summary>The address both sockets bind; also the source of outgoing TCP probes when it is not a wildcard.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    /// <summary>The UDP and TCP port (0: any free port that is free for both, for tests).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>SWIM's protocol period T: a probe round lasts one period and new rounds start at every period.</summary>
    public TimeSpan ProtocolPeriod { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a direct ping waits for its ack before indirect pings and the TCP ping are sent (less than the period).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>k: how many other members are asked to ping a member that did not answer directly.</summary>
    public int IndirectProbes { get; init; } = 3;

    /// <summary>How long a member stays suspect before it is declared dead, unless it answers a probe meanwhile.</summary>
    public TimeSpan SuspicionTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many periods one round-robin pass over all members may take: each period probes
    /// ⌈members ÷ SweepPeriods⌉ of them, so every member is probed at least every SweepPeriods
    /// periods however large the cluster (plain SWIM probes one per period: a pass then takes
    /// members − 1 periods and the worst case grows with the cluster).
    /// </summary>
    public int SweepPeriods { get; init; } = 2;

    /// <summary>How long an accepted TCP connection may take to send its ping (bounded, so a silent client cannot hold a slot).</summary>
    public TimeSpan TcpTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Accepted TCP connections served at once; more are closed at once and counted.</summary>
    public int MaxTcpConnections { get; init; } = 16;

    /// <summary>Our own TCP pings in flight at once; a fallback beyond it is skipped and counted.</summary>
    public int MaxTcpProbes { get; init; } = 16;

    /// <summary>Pings we relay for others (ping-req) awaiting their acks; more requests are dropped and counted.</summary>
    public int MaxRelays { get; init; } = 256;

    /// <summary>Received messages queued for the protocol loop; a datagram arriving when it is full is dropped and counted.</summary>
    public int InboundQueue { get; init; } = 1024;

    /// <summary>Seeds the probe order and the choice of helpers (null: a random seed). Nonces never come from it.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that cannot work.</summary>
    public void Validate()
    {
        MemberAddress.RequireValidNodeId(NodeId, nameof(NodeId));
        ArgumentNullException.ThrowIfNull(Key);
        ArgumentNullException.ThrowIfNull(BindAddress);
        Require(Key.Length >= MembershipKey.MinBytes, nameof(Key), $"at least {MembershipKey.MinBytes} bytes, not {Key.Length}");
        Require(Port is >= 0 and <= 65535, nameof(Port), $"0 to 65535, not {Port}");
        Require(ProtocolPeriod > TimeSpan.Zero, nameof(ProtocolPeriod), "positive");
        Require(ProbeTimeout > TimeSpan.Zero && ProbeTimeout < ProtocolPeriod, nameof(ProbeTimeout),
            "positive and shorter than the protocol period, so the fallbacks have time within the round");
        Require(IndirectProbes >= 0, nameof(IndirectProbes), "0 or more");
        Require(SuspicionTimeout >= TimeSpan.Zero, nameof(SuspicionTimeout), "0 or more");
        Require(SweepPeriods >= 1, nameof(SweepPeriods), "1 or more");
        Require(TcpTimeout > TimeSpan.Zero, nameof(TcpTimeout), "positive");
        Require(MaxTcpConnections >= 1, nameof(MaxTcpConnections), "1 or more");
        Require(MaxTcpProbes >= 0, nameof(MaxTcpProbes), "0 or more");
        Require(MaxRelays >= 0, nameof(MaxRelays), "0 or more");
        Require(InboundQueue >= 16, nameof(InboundQueue), "16 or more");
    }

    /// <summary>The worst case from a member's last answer to its <see cref="MemberState.Dead"/> (README.md, "The 3-second arithmetic").</summary>
    public TimeSpan DeadWithin => (SweepPeriods * ProtocolPeriod) + ProtocolPeriod + SuspicionTimeout;

    private static void Require(bool holds, string option, string what)
    {
        if (!holds)
        {
            throw new ArgumentException($"{option} must be {what}", option);
        }
    }
}
