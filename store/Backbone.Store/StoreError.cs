namespace Backbone.Store;

/// <summary>
/// Expected failures of store operations. The server maps each to etcd's gRPC code and exact
/// message in one place (clients recognise errors by message).
/// </summary>
public enum StoreError
{
    KeyNotProvided,
    KeyNotFound,
    ValueProvided,
    LeaseProvided,
    TooManyOps,
    DuplicateKey,
    Compacted,
    FutureRevision,
    LeaseNotFound,
    LeaseExists,
    LeaseTtlTooLarge,
    RequestTooLarge,
    InvalidSortOption,
    Stopped,

    /// <summary>The leader changed while the request was in flight: it may or may not have been applied.</summary>
    LeaderChanged,

    /// <summary>No leader could be found within the request deadline.</summary>
    NoLeader,

    /// <summary>The request was not answered within its deadline; it may still be applied.</summary>
    Timeout,
}
