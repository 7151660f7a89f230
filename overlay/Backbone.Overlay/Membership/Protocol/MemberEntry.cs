using System.Net;

namespace Backbone.Overlay.Membership.Protocol;

/// <summary>What the detector keeps per member. Owned by <see cref="DetectorCore"/>'s loop: never touched from elsewhere.</summary>
internal sealed class MemberEntry(string nodeId, IPEndPoint endPoint, DateTimeOffset addedAt)
{
    public string NodeId { get; } = nodeId;

    /// <summary>Where probes go; replaced when the store moves the member (its round in flight is then cancelled).</summary>
    public IPEndPoint EndPoint { get; set; } = endPoint;

    public MemberState State { get; set; } = MemberState.Unknown;

    public DateTimeOffset ChangedAt { get; set; } = addedAt;

    /// <summary>When it became <see cref="MemberState.Suspect"/> (the loop's elapsed time); meaningful only while suspect.</summary>
    public TimeSpan SuspectedAt { get; set; }

    /// <summary>Its probe round in flight: at most one at a time, which also limits how often a replayed message can make us probe it.</summary>
    public ProbeRound? Round { get; set; }

    public MemberStatus ToStatus() => new(NodeId, EndPoint, State, ChangedAt);
}
