namespace Backbone.Chaos.Checkers;

/// <summary>
/// An operation reduced to what the register model needs: the call and its outcome together.
/// Failed operations and reads with unknown outcome never get here (they constrain nothing).
/// </summary>
internal enum RegisterStep : byte
{
    /// <summary>A get that returned Argument: legal only when the register holds it.</summary>
    Read,

    /// <summary>A put (acknowledged or unknown): always legal, the register becomes NewValue.</summary>
    Write,

    /// <summary>A CAS that swapped: legal only when the register holds Argument; it becomes NewValue.</summary>
    SwapSucceeded,

    /// <summary>A CAS that did not swap: legal only when the register does not hold Argument.</summary>
    SwapFailed,

    /// <summary>A CAS with unknown outcome: always legal; swaps exactly when the register holds Argument.</summary>
    SwapUnknown,
}
