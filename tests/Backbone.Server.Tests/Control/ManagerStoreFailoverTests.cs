using System.Net;
using System.Net.Sockets;
using Backbone.Server.Cluster;
using Backbone.Server.Control;
using Backbone.Server.Tests.Support;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using static Backbone.Server.Tests.Http2.H2Bytes;

namespace Backbone.Server.Tests.Control;

/// <summary>
/// Which failures make a worker's <see cref="ManagerStore"/> send a call to the next manager: a
/// write only when it never left (sending it again after the first manager took it could apply it
/// twice), a read (a range, or a txn that only reads) whenever the way to a manager broke. The first "manager" is either a port nobody
/// listens on or a peer that takes the request and drops the connection; the second a real node.
/// </summary>
public sealed class ManagerStoreFailoverTests
{
    [Fact]
    public async Task AWriteThatNeverLeftGoesToTheNextManager()
    {
        await using TestNode node = await TestNode.StartAsync();
        using GrpcPeerLink link = LinkFor(node);
        // Bound but never listening: the port stays ours, and a connect to it is refused.
        using Socket refusing = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var store = new ManagerStore(link, [$"http://127.0.0.1:{((IPEndPoint)refusing.LocalEndPoint!).Port}", $"http://{node.Endpoint}"]);

        await store.TxnAsync(Put("k", "v"), CancellationToken.None);

        Assert.Equal("v", await ValueAsync(node, "k"));
    }

    [Fact]
    public async Task AWriteAManagerTookIsNotSentAgain()
    {
        await using TestNode node = await TestNode.StartAsync();
        await using RequestDropper dropper = RequestDropper.Start();
        using GrpcPeerLink link = LinkFor(node);
        var store = new ManagerStore(link, [dropper.Url, $"http://{node.Endpoint}"]);

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => store.TxnAsync(Put("k", "once"), CancellationToken.None));

        Assert.True(RpcFailure.Unreachable(refused), $"a dropped connection counts as an unreachable manager: {refused.Status}");
        Assert.False(RpcFailure.NeverConnected(refused), "the request had left");
        Assert.Equal(1, dropper.Requests);
        Assert.Null(await ValueAsync(node, "k")); // not sent to the second manager behind the caller's back

        // The caller's next call goes to the next manager.
        await store.TxnAsync(Put("k", "again"), CancellationToken.None);
        Assert.Equal("again", await ValueAsync(node, "k"));
        Assert.Equal(1, dropper.Requests);
    }

    /// <summary>A range, and a txn that only reads (a manager serves it as a read, as etcd does).</summary>
    [Theory]
    [InlineData("range")]
    [InlineData("read-only txn")]
    public async Task AReadAManagerTookIsAskedOfTheNextManager(string read)
    {
        await using TestNode node = await TestNode.StartAsync();
        await node.Client().PutAsync("k", "v");
        await using RequestDropper dropper = RequestDropper.Start();
        using GrpcPeerLink link = LinkFor(node);
        var store = new ManagerStore(link, [dropper.Url, $"http://{node.Endpoint}"]);
        var range = new RangeRequest { Key = ByteString.CopyFromUtf8("k") };

        RangeResponse got = read == "range"
            ? await store.RangeAsync(range, CancellationToken.None)
            : (await store.TxnAsync(new TxnRequest
            {
                Compare = { new Compare { Key = range.Key, Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Greater, Version = 0 } },
                Success = { new RequestOp { RequestRange = range } },
                Failure = { new RequestOp { RequestRange = new RangeRequest { Key = ByteString.CopyFromUtf8("other") } } },
            }, CancellationToken.None)).Responses.Single().ResponseRange;

        Assert.Equal("v", Assert.Single(got.Kvs).Value.ToStringUtf8());
        Assert.Equal(1, dropper.Requests);
    }

    [Fact]
    public void AManagersOwnUnavailableAnswerIsNotANeverSentRequest()
    {
        // "etcdserver: request timed out" comes from the manager: the write may still commit.
        var answered = new RpcException(new Status(StatusCode.Unavailable, "etcdserver: request timed out"));
        var refused = new RpcException(new Status(StatusCode.Unavailable, "refused", new HttpRequestException(HttpRequestError.ConnectionError, "refused")));
        var balancerRefused = new RpcException(new Status(StatusCode.Unavailable, "Error connecting to subchannel.", new SocketException((int)SocketError.ConnectionRefused)));
        var otherStatus = new RpcException(new Status(StatusCode.Internal, "socket", new SocketException((int)SocketError.ConnectionReset)));

        Assert.False(RpcFailure.NeverConnected(answered));
        Assert.True(RpcFailure.NeverConnected(refused));
        Assert.True(RpcFailure.NeverConnected(balancerRefused));
        Assert.False(RpcFailure.NeverConnected(otherStatus)); // only Unavailable can mean "never left"
        Assert.True(RpcFailure.Unreachable(answered));
    }

    private static GrpcPeerLink LinkFor(TestNode node) => new(new MemberTls(NodeKeys.LoadOrCreate(node.DataDir), null));

    private static TxnRequest Put(string key, string value) => new()
    {
        Success = { new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) } } },
    };

    private static async Task<string?> ValueAsync(TestNode node, string key)
    {
        using var client = node.Client();
        RangeResponse read = await client.GetAsync(key);
        return read.Kvs.Count == 0 ? null : read.Kvs[0].Value.ToStringUtf8();
    }

    /// <summary>
    /// A peer that speaks just enough HTTP/2 to take a request (its SETTINGS, then the request's
    /// HEADERS), counts it, and drops the connection without answering: a manager that died or
    /// froze after the request reached it.
    /// </summary>
    private sealed class RequestDropper : IAsyncDisposable
    {
        private readonly TcpListener listener;
        private readonly Task serving;
        private int requests;

        private RequestDropper(TcpListener listener)
        {
            this.listener = listener;
            serving = Task.Run(ServeAsync);
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        public int Requests => Volatile.Read(ref requests);

        public static RequestDropper Start()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return new RequestDropper(listener);
        }

        public async ValueTask DisposeAsync()
        {
            listener.Stop();
            try
            {
                await serving;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // stopped while accepting
            }
        }

        private async Task ServeAsync()
        {
            while (true)
            {
                using TcpClient client = await listener.AcceptTcpClientAsync();
                try
                {
                    // The client's preface first: a socket with data waiting before the client
                    // wrote would look stale to its connection pool, which would connect again.
                    NetworkStream stream = client.GetStream();
                    byte[] preface = new byte[Preface.Length];
                    await stream.ReadExactlyAsync(preface);
                    await stream.WriteAsync(Frame(Settings, 0, 0, []));
                    byte[] header = new byte[9];
                    while (true)
                    {
                        await stream.ReadExactlyAsync(header);
                        int length = (header[0] << 16) | (header[1] << 8) | header[2];
                        await stream.ReadExactlyAsync(new byte[length]);
                        if (header[3] == Headers)
                        {
                            Interlocked.Increment(ref requests);
                            break;
                        }
                    }

                    client.Client.LingerState = new LingerOption(true, 0); // a reset, as a dead peer's kernel sends
                }
                catch (IOException)
                {
                    // That connection went away first: take the next one.
                }
            }
        }
    }
}
