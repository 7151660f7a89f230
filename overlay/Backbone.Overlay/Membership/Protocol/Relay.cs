using System.Net;

namespace Backbone.Overlay.Membership.Protocol;

/// <summary>
/// A ping we sent on another member's request (ping-req), under our own nonce. When the target
/// answers it, we send the requester an ack echoing <see cref="RequesterNonce"/> about the target.
/// Forgotten at <see cref="ExpiresAt"/> (one period: the requester's round is over by then).
/// </summary>
internal sealed record Relay(string RequesterId, IPEndPoint RequesterEndPoint, ulong RequesterNonce, string TargetId, TimeSpan ExpiresAt);
