using Backbone.Store;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Backbone.Server;

/// <summary>Maps a <see cref="StoreException"/> thrown by any handler through <see cref="EtcdErrors"/>.</summary>
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
    }

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
