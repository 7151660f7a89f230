using Backbone.Store;
using Grpc.Core;

namespace Backbone.Server;

/// <summary>
/// The one place that turns store errors into etcd's gRPC status codes and exact messages
/// (etcd api/v3rpc/rpctypes/error.go): clients recognise errors by message, so the strings
/// must match byte for byte.
/// </summary>
public static class EtcdErrors
{
    public static RpcException ToRpc(StoreException e) => e.Error switch
    {
        StoreError.KeyNotProvided => New(StatusCode.InvalidArgument, "etcdserver: key is not provided"),
        StoreError.KeyNotFound => New(StatusCode.InvalidArgument, "etcdserver: key not found"),
        StoreError.ValueProvided => New(StatusCode.InvalidArgument, "etcdserver: value is provided"),
        StoreError.LeaseProvided => New(StatusCode.InvalidArgument, "etcdserver: lease is provided"),
        StoreError.TooManyOps => New(StatusCode.InvalidArgument, "etcdserver: too many operations in txn request"),
        StoreError.DuplicateKey => New(StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request"),
        StoreError.Compacted => New(StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted"),
        StoreError.FutureRevision => New(StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision"),
        StoreError.LeaseNotFound => New(StatusCode.NotFound, "etcdserver: requested lease not found"),
        StoreError.LeaseExists => New(StatusCode.FailedPrecondition, "etcdserver: lease already exists"),
        StoreError.LeaseTtlTooLarge => New(StatusCode.OutOfRange, "etcdserver: too large lease TTL"),
        StoreError.RequestTooLarge => New(StatusCode.InvalidArgument, "etcdserver: request is too large"),
        StoreError.InvalidSortOption => New(StatusCode.InvalidArgument, "etcdserver: invalid sort option"),
        StoreError.Stopped => New(StatusCode.Unavailable, "etcdserver: server stopped"),
        StoreError.LeaderChanged => New(StatusCode.Unavailable, "etcdserver: leader changed"),
        StoreError.NoLeader => New(StatusCode.Unavailable, "etcdserver: no leader"),
        StoreError.Timeout => New(StatusCode.Unavailable, "etcdserver: request timed out"),
        _ => New(StatusCode.Unknown, e.Message),
    };

    private static RpcException New(StatusCode code, string message) => new(new Status(code, message), message);
}
