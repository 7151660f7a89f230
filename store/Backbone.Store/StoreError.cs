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
}
