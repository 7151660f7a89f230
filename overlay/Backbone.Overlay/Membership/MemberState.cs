namespace Backbone.Overlay.Membership;

/// <summary>What this detector currently believes about one member.</summary>
public enum MemberState
{
    /// <summary>Just given by <c>SetMembers</c> and not yet answered or failed a probe: neither alive nor dead to the store.</summary>
    Unknown = 0,

    /// <summary>Answered a probe of ours (directly, through another member, or over TCP).</summary>
    Alive = 1,

    /// <summary>Failed a whole probe round; declared <see cref="Dead"/> unless it answers within the suspicion timeout.</summary>
    Suspect = 2,

    /// <summary>Stayed suspect for the whole suspicion timeout. Still probed: one answer makes it <see cref="Alive"/> again.</summary>
    Dead = 3,
}
