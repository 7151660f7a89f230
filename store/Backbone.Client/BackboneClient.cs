using System.Runtime.CompilerServices;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Backbone.Client;

/// <summary>
/// A client of a Backbone (or etcd) cluster. Unary calls fail over to the next endpoint when one
/// is unreachable; streams (watch, keep-alive) use the endpoint that last answered. https://
/// endpoints are called over TLS (see <see cref="ServerCertificateCheck"/>).
/// </summary>
public sealed class BackboneClient : IDisposable
{
    private readonly GrpcChannel[] channels;
    private readonly ServerCertificateCheck? check;
    private int current;

    /// <summary>A client of <paramref name="endpoints"/>; throws <see cref="ArgumentException"/> for a bad endpoint or TLS file.</summary>
    public BackboneClient(string endpoints, ClientTlsOptions? tls = null)
    {
        IReadOnlyList<Uri> uris = Endpoints.Parse(endpoints, tlsByDefault: tls?.IsSet == true);
        if (tls?.IsSet == true || uris.Any(uri => uri.Scheme == Uri.UriSchemeHttps))
        {
            check = ServerCertificateCheck.Load(tls);
        }

        channels = [.. uris.Select(uri => GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            // https: our TLS settings; http: grpc-dotnet's own handler.
            HttpHandler = uri.Scheme == Uri.UriSchemeHttps ? new SocketsHttpHandler { EnableMultipleHttp2Connections = true, SslOptions = check!.SslOptions() } : null,
            DisposeHttpClient = true,
        }))];
    }

    /// <summary>Why a server certificate was refused, when one was (for the error message: the exception does not say).</summary>
    public string? CertificateProblem => check?.LastProblem;

    private CallInvoker Invoker => channels[Volatile.Read(ref current)].CreateCallInvoker();

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(i => new KV.KVClient(i).RangeAsync(request, cancellationToken: cancellationToken).ResponseAsync);

    public Task<RangeResponse> GetAsync(string key, CancellationToken cancellationToken = default) =>
        RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, cancellationToken);

    public Task<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(i => new KV.KVClient(i).PutAsync(request, cancellationToken: cancellationToken).ResponseAsync);

    public Task<PutResponse> PutAsync(string key, string value, long lease = 0, CancellationToken cancellationToken = default) =>
        PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Lease = lease }, cancellationToken);

    public Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(i => new KV.KVClient(i).DeleteRangeAsync(request, cancellationToken: cancellationToken).ResponseAsync);

    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(i => new KV.KVClient(i).TxnAsync(request, cancellationToken: cancellationToken).ResponseAsync);

    public Task<CompactionResponse> CompactAsync(long revision, bool physical, CancellationToken cancellationToken = default) =>
        CallAsync(i => new KV.KVClient(i).CompactAsync(new CompactionRequest { Revision = revision, Physical = physical }, cancellationToken: cancellationToken).ResponseAsync);

    public Task<LeaseGrantResponse> LeaseGrantAsync(long ttlSeconds, long id = 0, CancellationToken cancellationToken = default) =>
        CallAsync(i => new Lease.LeaseClient(i).LeaseGrantAsync(new LeaseGrantRequest { TTL = ttlSeconds, ID = id }, cancellationToken: cancellationToken).ResponseAsync);

    public Task<LeaseRevokeResponse> LeaseRevokeAsync(long id, CancellationToken cancellationToken = default) =>
        CallAsync(i => new Lease.LeaseClient(i).LeaseRevokeAsync(new LeaseRevokeRequest { ID = id }, cancellationToken: cancellationToken).ResponseAsync);

    public Task<LeaseTimeToLiveResponse> LeaseTimeToLiveAsync(long id, bool keys, CancellationToken cancellationToken = default) =>
        CallAsync(i => new Lease.LeaseClient(i).LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = id, Keys = keys }, cancellationToken: cancellationToken).ResponseAsync);

    public Task<LeaseLeasesResponse> LeasesAsync(CancellationToken cancellationToken = default) =>
        CallAsync(i => new Lease.LeaseClient(i).LeaseLeasesAsync(new LeaseLeasesRequest(), cancellationToken: cancellationToken).ResponseAsync);

    public Task<StatusResponse> StatusAsync(CancellationToken cancellationToken = default) =>
        CallAsync(i => new Maintenance.MaintenanceClient(i).StatusAsync(new StatusRequest(), cancellationToken: cancellationToken).ResponseAsync);

    /// <summary>Any other unary call of a service on the same endpoints, with the same failover (the CLI's cluster verbs).</summary>
    public Task<T> InvokeAsync<T>(Func<CallInvoker, Task<T>> call) => CallAsync(call);

    public Task<MemberListResponse> MemberListAsync(CancellationToken cancellationToken = default) =>
        CallAsync(i => new Cluster.ClusterClient(i).MemberListAsync(new MemberListRequest(), cancellationToken: cancellationToken).ResponseAsync);

    /// <summary>Renews a lease every third of its TTL; yields each answer (TTL 0 means the lease is gone).</summary>
    public async IAsyncEnumerable<LeaseKeepAliveResponse> KeepAliveAsync(long id, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = new Lease.LeaseClient(Invoker).LeaseKeepAlive(cancellationToken: cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id }, cancellationToken).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                yield break;
            }

            LeaseKeepAliveResponse response = call.ResponseStream.Current;
            yield return response;
            if (response.TTL <= 0)
            {
                yield break;
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, response.TTL / 3.0)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Opens one watch and yields its responses (created, events, canceled) until cancelled.</summary>
    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest create, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = new Watch.WatchClient(Invoker).Watch(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create }, cancellationToken).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            WatchResponse response = call.ResponseStream.Current;
            yield return response;
            if (response.Canceled)
            {
                yield break;
            }
        }
    }

    public void Dispose()
    {
        foreach (GrpcChannel channel in channels)
        {
            channel.Dispose();
        }
    }

    private async Task<T> CallAsync<T>(Func<CallInvoker, Task<T>> call)
    {
        for (int attempt = 0; ; attempt++)
        {
            int endpoint = Volatile.Read(ref current);
            try
            {
                return await call(channels[endpoint].CreateCallInvoker()).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && attempt + 1 < channels.Length)
            {
                Interlocked.CompareExchange(ref current, (endpoint + 1) % channels.Length, endpoint);
            }
        }
    }
}
