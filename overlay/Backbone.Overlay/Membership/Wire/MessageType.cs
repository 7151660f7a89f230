namespace Backbone.Overlay.Membership.Wire;

/// <summary>The second byte of every message.</summary>
internal enum MessageType : byte
{
    /// <summary>"Are you there?" Answered by an <see cref="Ack"/> with the same nonce, over the channel it came on.</summary>
    Ping = 1,

    /// <summary>"I am" (Subject = the sender), or "Subject answered my ping for you" when relayed.</summary>
    Ack = 2,

    /// <summary>"Please ping Target for me": indirect probing; answered by a relayed <see cref="Ack"/> only if the target answers.</summary>
    PingReq = 3,
}
