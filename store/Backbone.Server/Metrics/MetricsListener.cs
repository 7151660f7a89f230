using System.Net;
using System.Net.Sockets;
using System.Text;
using Backbone.Core.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backbone.Server.Metrics;

/// <summary>
/// Serves <c>GET /metrics</c> (Prometheus text, version 0.0.4) on <c>--metrics-addr</c> over
/// HTTP/1.1 cleartext, as Prometheus scrapes, from a Kestrel server of its own: the client port
/// speaks only HTTP/2 and carries the client-certificate gate and a worker's pass-through to the
/// managers, none of which a scraper should meet, and none of the client API must be reachable
/// here. Every other path is 404; <c>/metrics</c> with another method than GET or HEAD is 405.
/// </summary>
/// <remarks>
/// A hosted service of the node's web host: it binds once the host has started (after the
/// client port, so a clash between the two names this flag) and stops with it, also when a
/// member restarts in place. A port it cannot bind stops the node's start, with the flag named.
/// </remarks>
public sealed class MetricsListener(IPEndPoint endpoint, MetricsRegistry registry, LogLevel logLevel, Action<string> note) : IHostedLifecycleService, IAsyncDisposable
{
    public const string Path = "/metrics";

    /// <summary>Scrapers open one connection each; a bound keeps anything else from taking descriptors.</summary>
    private const int MaxConnections = 64;

    private WebApplication? app;

    /// <summary>http://IP:PORT/metrics once started (the port the kernel picked, for port 0).</summary>
    public string? Url { get; private set; }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Binds and serves, after every other hosted service (the client port's Kestrel among them) has started.</summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = NodeServer.NewWebBuilder();
        NodeServer.ConfigureLogging(builder.Logging, logLevel);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None); // a failed start is thrown below with the flag named, not logged twice
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Limits.MaxConcurrentConnections = MaxConnections;
            kestrel.Limits.MaxRequestBodySize = 0; // a scrape has no body
            kestrel.AddServerHeader = false;
        });
        WebApplication built = builder.Build();
        built.Run(ServeAsync);
        try
        {
            await built.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            await built.DisposeAsync().ConfigureAwait(false);
            string why = Innermost<SocketException>(e)?.Message ?? e.Message; // "Address already in use", not Kestrel's wrapping of it
            throw new IOException($"--metrics-addr {endpoint}: {why}. Give another IP:PORT (port 0 takes any free one), or leave the flag out", e);
        }

        app = built;
        Url = built.Urls.FirstOrDefault() is { } url ? url.TrimEnd('/') + Path : $"http://{endpoint}{Path}";
        note($"metrics: serving Prometheus metrics on {Url}");
    }

    /// <summary>Stops first, as the node begins to stop: a scrape never reads a store being closed.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (app is not null)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            app = null;
        }
    }

    private static T? Innermost<T>(Exception? e)
        where T : Exception
    {
        T? found = null;
        for (; e is not null; e = e.InnerException)
        {
            found = e as T ?? found;
        }

        return found;
    }

    private async Task ServeAsync(HttpContext context)
    {
        HttpResponse response = context.Response;
        if (context.Request.Path != Path)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        bool head = HttpMethods.IsHead(context.Request.Method);
        if (!head && !HttpMethods.IsGet(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return;
        }

        byte[] body = Encoding.UTF8.GetBytes(registry.Render());
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = PrometheusWriter.ContentType;
        response.ContentLength = body.Length;
        if (!head)
        {
            await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
