namespace Backbone.Control;

/// <summary>What kind of refusal: the server maps each to one gRPC status code.</summary>
public enum ControlError
{
    /// <summary>The request itself is wrong (a bad CIDR, a gateway outside its subnet).</summary>
    InvalidArgument,

    /// <summary>The name is taken.</summary>
    AlreadyExists,

    /// <summary>No such object.</summary>
    NotFound,

    /// <summary>The object is still used (a network with endpoints) or clashes with another (overlapping subnets).</summary>
    FailedPrecondition,

    /// <summary>Concurrent changes kept winning: try again.</summary>
    Aborted,
}

/// <summary>A refusal with the message the operator sees, which says what to do about it.</summary>
public sealed class ControlException(ControlError error, string message) : Exception(message)
{
    public ControlError Error { get; } = error;
}
