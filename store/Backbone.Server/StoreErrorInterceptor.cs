using Backbone.Control;
using Backbone.Store;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Backbone.Server;

/// <summary>
/// The one place handlers' refusals become gRPC statuses: a <see cref="StoreException"/> through
/// <see cref="EtcdErrors"/> (etcd's exact messages), a <see cref="ControlException"/> by its kind.
/// </summary>
public sealed class StoreErrorInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            throw EtcdErrors.ToRpc(e);
        }
        catch (ControlException e)
        {
            throw ToRpc(e);
        }
    }

    private static RpcException ToRpc(ControlException e) => new(new Status(e.Error switch
    {
        ControlError.InvalidArgument => StatusCode.InvalidArgument,
        ControlError.AlreadyExists => StatusCode.AlreadyExists,
        ControlError.NotFound => StatusCode.NotFound,
        ControlError.FailedPrecondition => StatusCode.FailedPrecondition,
        _ => StatusCode.Aborted,
    }, e.Message));

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            throw EtcdErrors.ToRpc(e);
        }
    }
}
