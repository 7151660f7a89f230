using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Backbone.Server.Cluster;

/// <summary>
/// A worker's client API: every call (etcd's services, watches and keep-alive streams included)
/// is passed unchanged to a manager over HTTP/2. One manager at a time; after a failure the next
/// call goes to the next one (clients retry, as they do against any member). The manager list
/// is refreshed from the cluster's member list, so managers added later are used too. Managers
/// with https:// client URLs are called over TLS as <see cref="MemberTls"/> says: the worker
/// presents its node certificate, whatever its clients presented to it.
/// </summary>
public sealed class ManagerProxy : IDisposable
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(10);

    private readonly IHttpForwarder forwarder;
    private readonly SocketsHttpHandler handler;
    private readonly HttpMessageInvoker client;

    private static readonly ForwarderRequestConfig Http2Only = new()
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact, // managers speak HTTP/2 only (h2c, or h2 by ALPN over TLS)
        ActivityTimeout = TimeSpan.FromHours(24), // watches and keep-alives stay open
    };

    private readonly CancellationTokenSource stopping = new();
    private string[] managers;
    private int current;

    /// <summary>
    /// Added to every forwarded call: the worker the client called, so that a manager runs what
    /// belongs on "the node you talk to" (`container run`) on this worker, not on itself.
    /// </summary>
    public const string OriginNodeHeader = "backbone-origin-node";

    private readonly string origin;

    /// <param name="origin">This worker as "&lt;id hex&gt; &lt;name&gt;".</param>
    public ManagerProxy(IHttpForwarder forwarder, IReadOnlyList<string> managers, MemberTls tls, string origin)
    {
        this.forwarder = forwarder;
        this.origin = origin;
        this.managers = managers.Count > 0 ? [.. managers]
            : throw new InvalidOperationException("this worker knows no manager: remove its data directory and join again");
        handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(3),
            SslOptions = tls.ClientOptions(), // used for https:// managers only
        };
        client = new HttpMessageInvoker(handler);
        _ = RefreshLoopAsync();
    }

    public IReadOnlyList<string> Managers => Volatile.Read(ref managers);

    public async Task ForwardAsync(HttpContext context)
    {
        string[] known = Volatile.Read(ref managers);
        int at = Volatile.Read(ref current) % known.Length;
        context.Request.Headers[OriginNodeHeader] = origin;
        ForwarderError error = await forwarder.SendAsync(context, known[at], client, Http2Only).ConfigureAwait(false);
        if (error != ForwarderError.None)
        {
            // Next call, next manager. This one is answered with YARP's 502, which gRPC
            // clients see as Unavailable and retry.
            Interlocked.CompareExchange(ref current, at + 1, at);
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        client.Dispose();
        stopping.Dispose();
    }

    private async Task RefreshLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(RefreshEvery, stopping.Token).ConfigureAwait(false);
                string[] known = Volatile.Read(ref managers);
                string manager = known[Volatile.Read(ref current) % known.Length];
                // An https:// manager through the forwarder's handler (its TLS settings); it stays the invoker's.
                using GrpcChannel channel = manager.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                    ? GrpcChannel.ForAddress(manager, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false })
                    : GrpcChannel.ForAddress(manager);
                var list = await new Etcdserverpb.Cluster.ClusterClient(channel).MemberListAsync(new Etcdserverpb.MemberListRequest(),
                    deadline: DateTime.UtcNow.AddSeconds(3), cancellationToken: stopping.Token).ConfigureAwait(false);
                string[] fresh = [.. list.Members.SelectMany(m => m.ClientURLs).Where(u => u.Length > 0).Distinct(StringComparer.Ordinal)];
                if (fresh.Length > 0)
                {
                    Volatile.Write(ref managers, fresh);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Grpc.Core.RpcException)
            {
                Interlocked.Increment(ref current); // that manager is away: ask another next time
            }
        }
    }
}
