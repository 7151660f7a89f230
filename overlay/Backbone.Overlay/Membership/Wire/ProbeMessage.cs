using System.Net;

namespace Backbone.Overlay.Membership.Wire;

/// <summary>
/// One protocol message as it is after decoding (README.md, "Messages"). <see cref="Nonce"/> is
/// the prober's: an ack echoes the nonce of the ping it answers, and a prober accepts only acks of
/// its own probes still in flight, so an ack replayed later matches nothing.
/// </summary>
/// <param name="From">The sender's node id.</param>
/// <param name="To">The node id the sender meant it for; anyone else drops it.</param>
/// <param name="Subject">Ack only: whose liveness it vouches for (the sender itself, or the target of a relayed ping).</param>
/// <param name="Target">Ping-req only: whom to ping, and where.</param>
internal readonly record struct ProbeMessage(
    MessageType Type, ulong Nonce, string From, string To, string? Subject = null, MemberAddress? Target = null)
{
    public static ProbeMessage Ping(ulong nonce, string from, string to) => new(MessageType.Ping, nonce, from, to);

    public static ProbeMessage Ack(ulong nonce, string from, string to, string subject) => new(MessageType.Ack, nonce, from, to, subject);

    public static ProbeMessage PingReq(ulong nonce, string from, string to, MemberAddress target) =>
        new(MessageType.PingReq, nonce, from, to, Target: target);

    /// <summary>For a ping-req: the target's endpoint (throws for other types: a caller bug).</summary>
    public IPEndPoint TargetEndPoint => Target?.EndPoint ?? throw new InvalidOperationException($"a {Type} has no target");
}
