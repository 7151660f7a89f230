namespace Backbone.Chaos.Checkers;

/// <summary>What a checker concluded about a history.</summary>
public enum Verdict
{
    /// <summary>Some order of the operations explains every outcome and respects real time.</summary>
    Linearizable,

    /// <summary>No such order exists: the store broke its contract (or the history is wrong).</summary>
    NotLinearizable,

    /// <summary>The search ran out of budget or time before deciding. Never treat this as a pass.</summary>
    Unknown,
}
