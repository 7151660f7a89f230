using System.Net;

namespace Backbone.Overlay.Membership.Protocol;

/// <summary>
/// Something for the protocol loop: a received message (with, for an accepted TCP connection, where
/// to hand the reply), or a bare wake-up (a new member list) when <see cref="Message"/> is null.
/// </summary>
internal readonly record struct Inbound(byte[]? Message, IPEndPoint? From, ProbeChannel Channel, TaskCompletionSource<byte[]?>? Reply)
{
    public static Inbound Wake => default;
}
