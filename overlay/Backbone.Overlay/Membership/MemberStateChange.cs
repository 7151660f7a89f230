using System.Net;

namespace Backbone.Overlay.Membership;

/// <summary>
/// A member's state changed in this detector's view: <paramref name="Previous"/> → <paramref name="State"/>.
/// <paramref name="Reason"/> is for people (logs, the store's record of why a host was taken out).
/// </summary>
public sealed record MemberStateChange(
    string NodeId, IPEndPoint EndPoint, MemberState Previous, MemberState State, string Reason, DateTimeOffset At);
