using System.Net.Sockets;
using System.Text;
using Backbone.Client;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.BadInput;

/// <summary>
/// Requests a client should not send, and bytes that are not gRPC at all. Each case runs against
/// Backbone and against a real etcd with the same expectations: the exact status code and message
/// etcd's clients map (rpctypes/error.go), and a server that keeps serving afterwards.
/// </summary>
public sealed class BadInputTests(BadInputServers servers, ITestOutputHelper output) : IClassFixture<BadInputServers>, IDisposable
{
    private const int MiB = 1024 * 1024;

    /// <summary>etcd's --max-request-bytes default (1.5 MiB).</summary>
    private const int MaxRequestBytes = 3 * MiB / 2;

    /// <summary>etcd's gRPC receive limit: the request limit plus 512 KiB of overhead.</summary>
    private const int MaxReceiveBytes = MaxRequestBytes + (512 * 1024);

    /// <summary>Bounds every call of one test: a server that stopped answering fails the test instead of hanging it.</summary>
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    private readonly CancellationTokenSource timeout = new(TestTimeout);

    private CancellationToken Timeout => timeout.Token;

    public void Dispose() => timeout.Dispose();

    [Theory]
    [InlineData(BadInputServers.Backbone)]
    [InlineData(BadInputServers.Etcd)]
    public async Task ValueJustOverTheRequestLimitIsRefused(string target)
    {
        using BackboneClient client = new(servers.Endpoint(target));
        string key = $"{nameof(ValueJustOverTheRequestLimitIsRefused)}/{target}";

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync(
            new PutRequest { Key = Bytes(key), Value = ByteString.CopyFrom(new byte[MaxRequestBytes + 1]) }, Timeout));

        AssertStatus(StatusCode.InvalidArgument, "etcdserver: request is too large", refused);
        Assert.Equal(0, (await client.GetAsync(key, Timeout)).Count);
    }

    [Theory]
    [InlineData(BadInputServers.Backbone)]
    [InlineData(BadInputServers.Etcd)]
    public async Task OneMebibyteValueReadsBackIntact(string target)
    {
        byte[] value = new byte[MiB];
        SeededRandom().NextBytes(value);
        using BackboneClient client = new(servers.Endpoint(target));
        string key = $"{nameof(OneMebibyteValueReadsBackIntact)}/{target}";

        PutResponse put = await client.PutAsync(new PutRequest { Key = Bytes(key), Value = ByteString.CopyFrom(value) }, Timeout);
        RangeResponse got = await client.GetAsync(key, Timeout);

        Mvccpb.KeyValue kv = Assert.Single(got.Kvs);
        Assert.Equal(put.Header.Revision, kv.ModRevision);
        Assert.True(value.AsSpan().SequenceEqual(kv.Value.Span), "the value read back differs from the one written");
    }

    [Theory]
    [InlineData(BadInputServers.Backbone)]
    [InlineData(BadInputServers.Etcd)]
    public async Task ThreeMebibyteRequestHitsTheGrpcLimitAndTheServerKeepsServing(string target)
    {
        using BackboneClient client = new(servers.Endpoint(target));
        string key = $"{nameof(ThreeMebibyteRequestHitsTheGrpcLimitAndTheServerKeepsServing)}/{target}";
        PutRequest huge = new() { Key = Bytes(key), Value = ByteString.CopyFrom(new byte[3 * MiB]) };

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync(huge, Timeout));

        // The transport's own words: grpc-go's for etcd, grpc-dotnet's for Backbone (no client maps them).
        string message = target == BadInputServers.Etcd
            ? $"grpc: received message larger than max ({huge.CalculateSize()} vs. {MaxReceiveBytes})"
            : "Received message exceeds the maximum configured message size.";
        AssertStatus(StatusCode.ResourceExhausted, message, refused);
        await AssertServesAsync(client, key);
    }

    [Theory]
    [InlineData(BadInputServers.Backbone)]
    [InlineData(BadInputServers.Etcd)]
    public async Task EmptyKeyIsRefused(string target)
    {
        using BackboneClient client = new(servers.Endpoint(target));
        const string message = "etcdserver: key is not provided";

        AssertStatus(StatusCode.InvalidArgument, message, await Assert.ThrowsAsync<RpcException>(
            () => client.PutAsync(new PutRequest { Value = Bytes("v") }, Timeout)));
        AssertStatus(StatusCode.InvalidArgument, message, await Assert.ThrowsAsync<RpcException>(
            () => client.RangeAsync(new RangeRequest { RangeEnd = Bytes("z") }, Timeout)));
        AssertStatus(StatusCode.InvalidArgument, message, await Assert.ThrowsAsync<RpcException>(
            () => client.DeleteRangeAsync(new DeleteRangeRequest(), Timeout)));

        TxnRequest compareOnEmptyKey = new();
        compareOnEmptyKey.Compare.Add(new Compare { Target = Compare.Types.CompareTarget.Version, Version = 0 });
        AssertStatus(StatusCode.InvalidArgument, message, await Assert.ThrowsAsync<RpcException>(
            () => client.TxnAsync(compareOnEmptyKey, Timeout)));

        TxnRequest putOfEmptyKey = new();
        putOfEmptyKey.Success.Add(new RequestOp { RequestPut = new PutRequest { Value = Bytes("v") } });
        AssertStatus(StatusCode.InvalidArgument, message, await Assert.ThrowsAsync<RpcException>(
            () => client.TxnAsync(putOfEmptyKey, Timeout)));
    }

    [Theory]
    [InlineData(BadInputServers.Backbone)]
    [InlineData(BadInputServers.Etcd)]
    public async Task RangeEndBeforeKeyIsAnEmptyRangeNotAnError(string target)
    {
        using BackboneClient client = new(servers.Endpoint(target));
        string prefix = $"{nameof(RangeEndBeforeKeyIsAnEmptyRangeNotAnError)}/{target}/";
        await client.PutAsync(prefix + "a", "1", cancellationToken: Timeout);
        await client.PutAsync(prefix + "b", "2", cancellationToken: Timeout);

        RangeResponse range = await client.RangeAsync(new RangeRequest { Key = Bytes(prefix + "b"), RangeEnd = Bytes(prefix + "a") }, Timeout);
        DeleteRangeResponse delete = await client.DeleteRangeAsync(new DeleteRangeRequest { Key = Bytes(prefix + "b"), RangeEnd = Bytes(prefix + "a") }, Timeout);

        Assert.Empty(range.Kvs);
        Assert.Equal(0, range.Count);
        Assert.False(range.More);
        Assert.Equal(0, delete.Deleted);
        Assert.Equal(range.Header.Revision, delete.Header.Revision); // deleting nothing is no write
        Assert.Equal(2, (await client.RangeAsync(new RangeRequest { Key = Bytes(prefix), RangeEnd = Bytes(prefix + "z") }, Timeout)).Count);
    }

    [Theory]
    [InlineData(BadInputServers.Backbone)]
    [InlineData(BadInputServers.Etcd)]
    public async Task UnknownLeaseIsNotFound(string target)
    {
        using BackboneClient client = new(servers.Endpoint(target));
        const long unknown = 0x0badbadbadbad;
        string key = $"{nameof(UnknownLeaseIsNotFound)}/{target}";

        AssertStatus(StatusCode.NotFound, "etcdserver: requested lease not found", await Assert.ThrowsAsync<RpcException>(
            () => client.PutAsync(key, "v", unknown, Timeout)));
        AssertStatus(StatusCode.NotFound, "etcdserver: requested lease not found", await Assert.ThrowsAsync<RpcException>(
            () => client.LeaseRevokeAsync(unknown, Timeout)));

        // Not errors in etcd: time-to-live answers TTL -1, a keep-alive TTL 0.
        LeaseTimeToLiveResponse ttl = await client.LeaseTimeToLiveAsync(unknown, keys: true, Timeout);
        Assert.Equal((unknown, -1L, 0L), (ttl.ID, ttl.TTL, ttl.GrantedTTL));
        await foreach (LeaseKeepAliveResponse answer in client.KeepAliveAsync(unknown, Timeout))
        {
            Assert.Equal((unknown, 0L), (answer.ID, answer.TTL));
        }

        Assert.Equal(0, (await client.GetAsync(key, Timeout)).Count);
    }

    [Theory]
    [InlineData(BadInputServers.Backbone)]
    [InlineData(BadInputServers.Etcd)]
    public async Task TxnOfMoreThan128OpsIsRefused(string target)
    {
        using BackboneClient client = new(servers.Endpoint(target));
        string prefix = $"{nameof(TxnOfMoreThan128OpsIsRefused)}/{target}/";

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => client.TxnAsync(PutsTxn(prefix, 129), Timeout));
        TxnResponse accepted = await client.TxnAsync(PutsTxn(prefix, 128), Timeout);

        AssertStatus(StatusCode.InvalidArgument, "etcdserver: too many operations in txn request", refused);
        Assert.True(accepted.Succeeded);
        Assert.Equal(128, (await client.RangeAsync(new RangeRequest { Key = Bytes(prefix), RangeEnd = Bytes(prefix + "~"), CountOnly = true }, Timeout)).Count);
    }

    [Theory]
    [InlineData(BadInputServers.Backbone)]
    [InlineData(BadInputServers.Etcd)]
    public async Task DuplicateKeyInTxnIsRefused(string target)
    {
        using BackboneClient client = new(servers.Endpoint(target));
        string key = $"{nameof(DuplicateKeyInTxnIsRefused)}/{target}";
        TxnRequest twoPuts = new();
        twoPuts.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(key), Value = Bytes("1") } });
        twoPuts.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(key), Value = Bytes("2") } });
        TxnRequest deleteThenPut = new();
        deleteThenPut.Failure.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(key), RangeEnd = Bytes(key + "~") } });
        deleteThenPut.Failure.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(key), Value = Bytes("1") } });

        AssertStatus(StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request", await Assert.ThrowsAsync<RpcException>(
            () => client.TxnAsync(twoPuts, Timeout)));
        AssertStatus(StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request", await Assert.ThrowsAsync<RpcException>(
            () => client.TxnAsync(deleteThenPut, Timeout)));
        Assert.Equal(0, (await client.GetAsync(key, Timeout)).Count);
    }

    /// <summary>Bytes gRPC cannot decode as the method's request message: the call fails, the server does not.</summary>
    [Theory]
    [InlineData(BadInputServers.Backbone)]
    [InlineData(BadInputServers.Etcd)]
    public async Task UndecodableRequestMessageFailsOnlyThatCall(string target)
    {
        Marshaller<byte[]> raw = Marshallers.Create(bytes => bytes, bytes => bytes);
        Method<byte[], byte[]> put = new(MethodType.Unary, "etcdserverpb.KV", "Put", raw, raw);
        Method<byte[], byte[]> missing = new(MethodType.Unary, "etcdserverpb.KV", "NoSuchMethod", raw, raw);
        using GrpcChannel channel = GrpcChannel.ForAddress("http://" + servers.Endpoint(target));
        CallInvoker invoker = channel.CreateCallInvoker();
        CallOptions options = new(cancellationToken: Timeout);

        // Field 1 (key, length-delimited) whose length runs past the end of the message.
        RpcException undecodable = await Assert.ThrowsAsync<RpcException>(
            () => invoker.AsyncUnaryCall(put, null, options, [0x0A, 0x7F, 0x61]).ResponseAsync);
        RpcException unknownMethod = await Assert.ThrowsAsync<RpcException>(
            () => invoker.AsyncUnaryCall(missing, null, options, []).ResponseAsync);

        // etcd (grpc-go) answers Internal "grpc: error unmarshalling request: ..."; grpc-dotnet
        // decodes before any interceptor runs and answers Unknown "Exception was thrown by handler.".
        // A known difference (only a broken client sees it); what matters is that only the call fails.
        Assert.Equal(target == BadInputServers.Etcd ? StatusCode.Internal : StatusCode.Unknown, undecodable.StatusCode);
        Assert.Equal(StatusCode.Unimplemented, unknownMethod.StatusCode);
        using BackboneClient client = new(servers.Endpoint(target));
        await AssertServesAsync(client, $"{nameof(UndecodableRequestMessageFailsOnlyThatCall)}/{target}");
    }

    public static TheoryData<string, string> Garbage
    {
        get
        {
            TheoryData<string, string> cases = [];
            foreach (string target in (string[])[BadInputServers.Backbone, BadInputServers.Etcd])
            {
                foreach (string kind in (string[])["random bytes", "half HTTP/2 preface", "HTTP/2 preface then random frames", "HTTP/1.1 request"])
                {
                    cases.Add(target, kind);
                }
            }

            return cases;
        }
    }

    /// <summary>
    /// Bytes that are not gRPC, on raw TCP connections to the gRPC port. The connections stay open
    /// (a stuck half-preface must not block anyone) while a put and a get go through.
    /// </summary>
    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task GarbageOnTheGrpcPortLeavesTheServerServing(string target, string kind)
    {
        const int connections = 8;
        Random random = SeededRandom();
        string endpoint = servers.Endpoint(target);
        int port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        byte[] preface = Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

        List<Socket> sockets = [];
        try
        {
            for (int i = 0; i < connections; i++)
            {
                Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                await socket.ConnectAsync(System.Net.IPAddress.Loopback, port);
                byte[] bytes = kind switch
                {
                    "random bytes" => RandomBytes(random, 16 * 1024),
                    "half HTTP/2 preface" => preface[..(preface.Length / 2)],
                    "HTTP/2 preface then random frames" => [.. preface, .. RandomBytes(random, 16 * 1024)],
                    "HTTP/1.1 request" => Encoding.ASCII.GetBytes($"POST /etcdserverpb.KV/Range HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/grpc\r\nContent-Length: 5\r\n\r\n\0\0\0\0\0"),
                    _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
                };
                try
                {
                    await socket.SendAsync(bytes, SocketFlags.None);
                }
                catch (SocketException)
                {
                    // The server may reset a connection before all the garbage is written: fine.
                }
            }

            using BackboneClient client = new(endpoint);
            await AssertServesAsync(client, $"{nameof(GarbageOnTheGrpcPortLeavesTheServerServing)}/{target}/{kind}");
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }

        // And still serving once those connections are gone.
        using BackboneClient after = new(endpoint);
        await AssertServesAsync(after, $"{nameof(GarbageOnTheGrpcPortLeavesTheServerServing)}/{target}/{kind}/after");
    }

    /// <summary>A random source whose seed is printed; BACKBONE_TEST_SEED replays a run.</summary>
    private Random SeededRandom()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("BACKBONE_TEST_SEED"), out int s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with BACKBONE_TEST_SEED={seed})");
        return new Random(seed);
    }

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static TxnRequest PutsTxn(string prefix, int ops)
    {
        TxnRequest txn = new();
        for (int i = 0; i < ops; i++)
        {
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes($"{prefix}{i:D3}"), Value = Bytes("v") } });
        }

        return txn;
    }

    private static void AssertStatus(StatusCode code, string message, RpcException e) =>
        Assert.Equal((code, message), (e.StatusCode, e.Status.Detail));

    private async Task AssertServesAsync(BackboneClient client, string key)
    {
        string value = Guid.NewGuid().ToString("N");
        PutResponse put = await client.PutAsync(key, value, cancellationToken: Timeout);
        RangeResponse got = await client.GetAsync(key, Timeout);
        Mvccpb.KeyValue kv = Assert.Single(got.Kvs);
        Assert.Equal((value, put.Header.Revision), (kv.Value.ToStringUtf8(), kv.ModRevision));
    }
}
