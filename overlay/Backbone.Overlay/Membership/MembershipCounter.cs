namespace Backbone.Overlay.Membership;

/// <summary>What <see cref="MembershipCounters"/> counts (README.md lists them with what each means for an operator).</summary>
public enum MembershipCounter
{
    /// <summary>Messages that passed authentication and parsing (UDP and TCP).</summary>
    Received,

    /// <summary>Datagrams handed to the UDP socket.</summary>
    Sent,

    /// <summary>Messages whose HMAC did not verify: another cluster, a wrong key, or tampering.</summary>
    DroppedBadMac,

    /// <summary>Messages too short, too long, of an unknown version or type, or authenticated but not parseable.</summary>
    DroppedMalformed,

    /// <summary>Authenticated messages addressed to another node id (a stale member list somewhere).</summary>
    DroppedMisdirected,

    /// <summary>Acks that match no probe of ours in flight: late, duplicated or replayed.</summary>
    DroppedUnmatchedAck,

    /// <summary>Datagrams dropped because the protocol loop's queue was full.</summary>
    DroppedQueueFull,

    /// <summary>Ping-reqs refused because <see cref="MembershipOptions.MaxRelays"/> relays were in flight.</summary>
    DroppedRelayOverflow,

    /// <summary>Messages dropped by the fault-injection seam (tests only).</summary>
    DroppedByFault,

    /// <summary>Acks to our direct UDP pings.</summary>
    DirectAcks,

    /// <summary>Ping-reqs we sent for members that did not answer directly.</summary>
    IndirectProbesSent,

    /// <summary>Acks that reached us through another member.</summary>
    IndirectAcks,

    /// <summary>Pings we relayed on another member's request.</summary>
    RelayedPings,

    /// <summary>TCP pings started as a fallback.</summary>
    TcpProbesSent,

    /// <summary>Acks to our TCP pings.</summary>
    TcpAcks,

    /// <summary>TCP pings that could not connect, timed out or got no ack.</summary>
    TcpProbesFailed,

    /// <summary>TCP pings not started because <see cref="MembershipOptions.MaxTcpProbes"/> were in flight.</summary>
    TcpProbesSkipped,

    /// <summary>Accepted TCP connections closed at once because <see cref="MembershipOptions.MaxTcpConnections"/> were being served.</summary>
    TcpConnectionsRefused,

    /// <summary>Probe rounds that ended with no ack of any kind (each makes its member suspect).</summary>
    FailedRounds,

    /// <summary>Ticks so late (over half the probe timeout) that this detector must have been stalled: its deadlines were postponed.</summary>
    Stalls,

    /// <summary>Send and receive errors from the sockets, other than shutdown.</summary>
    SocketErrors,

    /// <summary>Exceptions thrown by <see cref="FailureDetector.MemberStateChanged"/> handlers (caught; the loop goes on).</summary>
    HandlerErrors,
}
