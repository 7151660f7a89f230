using System.Net;

namespace Backbone.Overlay.Membership;

/// <summary>One member in a <see cref="FailureDetector.Snapshot"/>: its state and when it last changed (the detector's clock).</summary>
public sealed record MemberStatus(string NodeId, IPEndPoint EndPoint, MemberState State, DateTimeOffset ChangedAt);
