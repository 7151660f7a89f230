using System.Net.Http;
using Grpc.Net.Client;

namespace Backbone.Bench;

/// <summary>
/// M independent gRPC channels spread over E endpoints, each with its own <see cref="SocketsHttpHandler"/>
/// (so each is its own TCP connection, or more once one fills its HTTP/2 stream limit).
/// Endpoint e gets M / E channels, one more for the first M mod E endpoints, and at least one.
/// Client i uses endpoint i mod E, on that endpoint's channel (i / E) mod its count; so with
/// E = 3 and M = 8 (3 + 3 + 2 channels), clients 0, 3, 6, 9 share endpoint 0's channels 0, 1, 2, 0.
/// With one endpoint this is client i on channel i mod M.
/// </summary>
public sealed class GrpcChannelSet : IDisposable
{
    private readonly GrpcChannel[][] byEndpoint;

    public GrpcChannelSet(IReadOnlyList<Uri> addresses, int count)
    {
        byEndpoint = new GrpcChannel[addresses.Count][];
        for (int e = 0; e < addresses.Count; e++)
        {
            int share = (count / addresses.Count) + (e < count % addresses.Count ? 1 : 0);
            byEndpoint[e] = new GrpcChannel[Math.Max(1, share)];
            for (int i = 0; i < byEndpoint[e].Length; i++)
            {
                byEndpoint[e][i] = Open(addresses[e]);
            }
        }
    }

    public int EndpointCount => byEndpoint.Length;

    /// <summary>Client <paramref name="client"/>'s channel on its own endpoint (client mod <see cref="EndpointCount"/>).</summary>
    public GrpcChannel For(int client) => For(client, client % byEndpoint.Length);

    /// <summary>Client <paramref name="client"/>'s channel on <paramref name="endpoint"/> (a failover writer's next member).</summary>
    public GrpcChannel For(int client, int endpoint)
    {
        GrpcChannel[] channels = byEndpoint[endpoint];
        return channels[(client / byEndpoint.Length) % channels.Length];
    }

    private static GrpcChannel Open(Uri address)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });
    }

    /// <summary>
    /// Opens every connection before the clock starts; throws <see cref="TimeoutException"/> when
    /// the server does not accept within <paramref name="timeout"/> (ConnectAsync alone retries forever).
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken) => await ConnectAsync(DefaultConnectTimeout, cancellationToken).ConfigureAwait(false);

    /// <summary>How long every load waits for the server to accept its connections.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    public async Task ConnectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var connects = new List<Task>();
        foreach (GrpcChannel[] channels in byEndpoint)
        {
            foreach (GrpcChannel channel in channels)
            {
                connects.Add(channel.ConnectAsync(deadline.Token));
            }
        }

        try
        {
            await Task.WhenAll(connects).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            string targets = string.Join(", ", byEndpoint.Select(channels => channels[0].Target));
            throw new TimeoutException($"no connection to every one of {targets} within {timeout.TotalSeconds:0} s");
        }
    }

    public void Dispose()
    {
        foreach (GrpcChannel[] channels in byEndpoint)
        {
            foreach (GrpcChannel channel in channels)
            {
                channel.Dispose();
            }
        }
    }
}
