using System.Net.Http;
using Grpc.Net.Client;

namespace Backbone.Bench;

/// <summary>
/// M independent gRPC channels to one endpoint, each with its own <see cref="SocketsHttpHandler"/>
/// (so each is its own TCP connection, or more once one fills its HTTP/2 stream limit). Client i
/// uses channel i mod M.
/// </summary>
public sealed class GrpcChannelSet : IDisposable
{
    private readonly GrpcChannel[] channels;

    public GrpcChannelSet(Uri address, int count)
    {
        channels = new GrpcChannel[count];
        for (int i = 0; i < count; i++)
        {
            var handler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            };
            channels[i] = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                HttpHandler = handler,
                DisposeHttpClient = true,
                MaxReceiveMessageSize = null,
                MaxSendMessageSize = null,
            });
        }
    }

    public int Count => channels.Length;

    public GrpcChannel For(int client) => channels[client % channels.Length];

    /// <summary>
    /// Opens every connection before the clock starts; throws <see cref="TimeoutException"/> when
    /// the server does not accept within <paramref name="timeout"/> (ConnectAsync alone retries forever).
    /// </summary>
    public async Task ConnectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var connects = new Task[channels.Length];
        for (int i = 0; i < channels.Length; i++)
        {
            connects[i] = channels[i].ConnectAsync(deadline.Token);
        }

        try
        {
            await Task.WhenAll(connects).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no connection to {channels[0].Target} within {timeout.TotalSeconds:0} s");
        }
    }

    public void Dispose()
    {
        foreach (GrpcChannel channel in channels)
        {
            channel.Dispose();
        }
    }
}
