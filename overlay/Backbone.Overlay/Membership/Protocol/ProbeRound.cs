namespace Backbone.Overlay.Membership.Protocol;

/// <summary>
/// One probe of one member, lasting one protocol period from <see cref="StartedAt"/>:
/// <code>
/// StartedAt           direct UDP ping (nonce N)
/// FallbackAt          no ack yet: ping-req(N) to k helpers, and a TCP ping(N)
/// EndsAt              no ack of any kind: the member becomes suspect
/// </code>
/// Any ack echoing N from the target (UDP or TCP) or from one of <see cref="Helpers"/> about the
/// target answers the round. A round stays registered until <see cref="EndsAt"/> even when
/// answered, so a member is never in two rounds at once.
/// </summary>
internal sealed class ProbeRound(ulong nonce, MemberEntry target, TimeSpan startedAt, TimeSpan fallbackAt, TimeSpan endsAt)
{
    public ulong Nonce { get; } = nonce;

    public MemberEntry Target { get; } = target;

    public TimeSpan StartedAt { get; private set; } = startedAt;

    public TimeSpan FallbackAt { get; private set; } = fallbackAt;

    public TimeSpan EndsAt { get; private set; } = endsAt;

    public bool FallbackSent { get; set; }

    public bool Answered { get; set; }

    /// <summary>Its ping was sent a second time because the target was heard from meanwhile (once per round).</summary>
    public bool Repinged { get; set; }

    /// <summary>The members asked to ping the target for us: only their relayed acks count.</summary>
    public string[] Helpers { get; set; } = [];

    /// <summary>Moves the whole round later: the time the detector itself was not running does not count against the target.</summary>
    public void Postpone(TimeSpan by)
    {
        StartedAt += by;
        FallbackAt += by;
        EndsAt += by;
    }

    /// <summary>When this round next needs the loop.</summary>
    public TimeSpan NextDeadline => Answered || FallbackSent ? EndsAt : FallbackAt;
}
