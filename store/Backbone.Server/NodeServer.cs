using System.Net;
using Backbone.Core;
using Backbone.Server.Services;
using Backbone.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backbone.Server;

/// <summary>Options of one node process (the CLI's <c>backbone node</c> flags).</summary>
public sealed record NodeOptions
{
    public string? Name { get; init; }
    public required string DataDir { get; init; }
    public string ListenClient { get; init; } = "127.0.0.1:2379";
    public LogLevel LogLevel { get; init; } = LogLevel.Warning;
}

/// <summary>
/// Runs one node: opens the store, serves etcd's v3 API on Kestrel over HTTP/2 cleartext, and on
/// shutdown (Ctrl-C, SIGTERM, or the token) drains requests and closes the store cleanly.
/// </summary>
public static class NodeServer
{
    /// <summary>
    /// Starts the node and returns once it is serving. <paramref name="ready"/> gets the bound
    /// endpoint (the real port when the request named port 0).
    /// </summary>
    public static async Task<WebApplication> StartAsync(NodeOptions options, TimeProvider? time = null, Action<string>? note = null)
    {
        IPEndPoint endpoint = ParseEndpoint(options.ListenClient);
        NodeIdentity identity = NodeIdentity.LoadOrCreate(options.DataDir, options.Name);
        StoreEngine engine = StoreEngine.Open(new StoreOptions { DataDir = options.DataDir }, time, note: note);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Limits.MaxRequestBodySize = null;
            // etcd clients put every watch and keep-alive of a process on one connection.
            kestrel.Limits.Http2.MaxStreamsPerConnection = 65_536;
        });
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = StoreLimits.MaxReceiveMessageBytes;
            grpc.MaxSendMessageSize = null;
            grpc.Interceptors.Add<StoreErrorInterceptor>();
        });
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(sp => new NodeContext(engine, identity, "http://" + options.ListenClient));

        WebApplication app = builder.Build();
        app.MapGrpcService<KvService>();
        app.MapGrpcService<WatchService>();
        app.MapGrpcService<LeaseService>();
        app.MapGrpcService<MaintenanceService>();
        app.MapGrpcService<ClusterService>();
        app.Lifetime.ApplicationStopped.Register(() => engine.DisposeAsync().AsTask().GetAwaiter().GetResult());
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return app;
    }

    public static IPEndPoint ParseEndpoint(string hostPort)
    {
        int colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort.AsSpan(colon + 1), out int port) || port is < 0 or > 65535)
        {
            throw new ArgumentException($"'{hostPort}' is not HOST:PORT (for example 127.0.0.1:2379)");
        }

        string host = hostPort[..colon].Trim('[', ']');
        if (host == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        if (!IPAddress.TryParse(host, out IPAddress? address))
        {
            throw new ArgumentException($"'{host}' is not an IP address (use an address such as 127.0.0.1 or 0.0.0.0)");
        }

        return new IPEndPoint(address, port);
    }
}
