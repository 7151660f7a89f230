using System.Net;
using System.Net.Sockets;
using Backbone.Dns.Forwarding;
using Backbone.Dns.Names;
using Makaretu.Dns;

namespace Backbone.Dns.Server;

/// <summary>
/// One address served over UDP and TCP with one scope: the host listener (every network) or a
/// container's 127.0.0.11:53 (its networks). Sockets are given already bound, so a container's
/// can be made inside its namespace and served from here, on the thread pool. A query the table
/// answers is answered inline; a forwarded one runs on its own, so a slow upstream never holds up
/// the names we know. Nothing a packet contains ends a loop.
/// </summary>
public sealed class DnsListener : IAsyncDisposable
{
    private const int AnyPortAttempts = 16;
    private static readonly TimeSpan TcpIdle = TimeSpan.FromSeconds(10);

    /// <summary>TCP connections served at once per listener.</summary>
    public const int MaxTcpConnections = 256;

    private int tcpConnections;

    /// <summary>Accepted connections, closed with the listener: in a container they hold its namespace, which must go with it.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Socket, Task> open = new();

    /// <summary>The longest query read over TCP (a query is a header, a question and an OPT); longer closes the connection.</summary>
    private const int MaxTcpQuery = 4096;

    /// <summary>Queries per TCP connection; then it is closed (a client reconnects), so one connection cannot stay forever.</summary>
    private const int MaxQueriesPerConnection = 1000;
    private static readonly TimeSpan AcceptRetry = TimeSpan.FromMilliseconds(50);
    private readonly Socket udp;
    private readonly Socket tcp;
    private readonly NameScope scope;
    private readonly DnsResponder responder;
    private readonly UpstreamForwarder? forwarder;
    private readonly DnsCounters counters;
    private readonly Action<string> note;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task[] loops;

    public DnsListener(Socket udp, Socket tcp, NameScope scope, DnsResponder responder, UpstreamForwarder? forwarder, DnsCounters counters, Action<string> note)
    {
        this.udp = udp;
        this.tcp = tcp;
        this.scope = scope;
        this.responder = responder;
        this.forwarder = forwarder;
        this.counters = counters;
        this.note = note;
        Endpoint = (IPEndPoint)udp.LocalEndPoint!;
        loops = [Task.Run(ServeUdpAsync), Task.Run(AcceptTcpAsync)];
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>Binds UDP and TCP sockets on <paramref name="endpoint"/> (port 0: any free one, the same for both).</summary>
    public static (Socket Udp, Socket Tcp) Bind(IPEndPoint endpoint)
    {
        // Port 0: the kernel picks a port free for UDP, and TCP may hold that same number (some
        // client's ephemeral port, connected or in TIME_WAIT); pick again, a bounded number of times.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return BindOnce(endpoint);
            }
            catch (SocketException e) when (endpoint.Port == 0 && e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < AnyPortAttempts)
            {
                // taken for TCP: let the kernel pick another
            }
        }
    }

    private static (Socket Udp, Socket Tcp) BindOnce(IPEndPoint endpoint)
    {
        var udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 }; // bursts, not drops
        var tcp = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            udp.Bind(endpoint);
            tcp.Bind(new IPEndPoint(endpoint.Address, ((IPEndPoint)udp.LocalEndPoint!).Port));
            tcp.Listen(128);
            return (udp, tcp);
        }
        catch
        {
            udp.Dispose();
            tcp.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        udp.Dispose();
        tcp.Dispose();
        foreach (Socket connection in open.Keys)
        {
            connection.Dispose();
        }

        try
        {
            await Task.WhenAll([.. loops, .. open.Values]).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // closed under them: that is how they stop
        }

        stopping.Dispose();
    }

    private async Task ServeUdpAsync()
    {
        byte[] buffer = new byte[ushort.MaxValue];
        byte[] response = new byte[DnsResponder.OurUdpPayload];
        EndPoint any = new IPEndPoint(Endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await udp.ReceiveFromAsync(buffer, SocketFlags.None, any, stopping.Token).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue; // an ICMP error from an earlier reply, or an oversized datagram: not ours to stop for
            }
            catch (SocketException e) when (!stopping.IsCancellationRequested)
            {
                note($"dns: receiving on {Endpoint}: {e.Message} (going on)");
                await Task.Delay(AcceptRetry, stopping.Token).ConfigureAwait(false);
                continue;
            }

            counters.Query();
            DnsReply reply = Handle(buffer, received.ReceivedBytes, overTcp: false, response);
            if (reply.Written > 0)
            {
                await SendUdpAsync(response.AsMemory(0, reply.Written), received.RemoteEndPoint).ConfigureAwait(false);
            }
            else if (reply.Bytes is { } bytes)
            {
                await SendUdpAsync(bytes, received.RemoteEndPoint).ConfigureAwait(false);
            }
            else if (reply.ToForward is { } query)
            {
                _ = ForwardUdpAsync(query, received.RemoteEndPoint);
            }
        }
    }

    /// <summary>Runs on its own (nobody awaits it), so it ends every way quietly: stopping, or a failure noted.</summary>
    private async Task ForwardUdpAsync(Message query, EndPoint client)
    {
        try
        {
            Message answer = await forwarder!.ForwardAsync(query, stopping.Token).ConfigureAwait(false);
            DnsReply reply;
            try
            {
                reply = DnsResponder.Relay(query, answer, overTcp: false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                reply = DnsResponder.Reply(query, DnsResponder.NewResponse(query, MessageStatus.ServerFailure), overTcp: false); // an answer we cannot write: SERVFAIL, not silence
            }

            await SendUdpAsync(reply.Bytes!, client).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // stopping
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            note($"dns: forwarding a query on {Endpoint} failed: {e.Message}");
        }
    }

    private async Task SendUdpAsync(ReadOnlyMemory<byte> bytes, EndPoint client)
    {
        counters.Answer(bytes.Span);
        try
        {
            await udp.SendToAsync(bytes, SocketFlags.None, client, stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client is gone, or we are stopping
        }
    }

    private async Task AcceptTcpAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await tcp.AcceptAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (SocketException) when (!stopping.IsCancellationRequested)
            {
                // Linux passes a pending connection's own error to accept(), and EMFILE when we
                // are out of descriptors: that connection is lost, not the listener. The pause
                // keeps a descriptor shortage from spinning.
                await Task.Delay(AcceptRetry, stopping.Token).ConfigureAwait(false);
                continue;
            }

            // A bounded number of connections: past it the newest is closed at once (the client
            // retries), so idle or slow connections cannot take every descriptor.
            if (Interlocked.Increment(ref tcpConnections) > MaxTcpConnections)
            {
                Interlocked.Decrement(ref tcpConnections);
                connection.Dispose();
                continue;
            }

            var served = new TaskCompletionSource();
            open[connection] = served.Task;
            _ = ServeTcpCountedAsync(connection, served);
        }
    }

    private async Task ServeTcpCountedAsync(Socket connection, TaskCompletionSource served)
    {
        try
        {
            await ServeTcpAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref tcpConnections);
            open.TryRemove(connection, out _);
            served.TrySetResult();
        }
    }

    /// <summary>Queries one after another on one connection (pipelined: the client may send several before reading), until it closes or idles.</summary>
    private async Task ServeTcpAsync(Socket connection)
    {
        byte[] response = System.Buffers.ArrayPool<byte>.Shared.Rent(ushort.MaxValue + 2);
        using (connection)
        await using (var stream = new NetworkStream(connection, ownsSocket: false))
        {
            try
            {
                for (int served = 0; served < MaxQueriesPerConnection && !stopping.IsCancellationRequested; served++)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                    idle.CancelAfter(TcpIdle);
                    byte[]? message = await TcpFraming.ReadAsync(stream, idle.Token, MaxTcpQuery).ConfigureAwait(false);
                    if (message is null)
                    {
                        return;
                    }

                    counters.Query();
                    // Written after a two-byte gap, so the fast path's answer is framed in place.
                    DnsReply reply = Handle(message, message.Length, overTcp: true, response.AsSpan(2));
                    if (reply.Written > 0)
                    {
                        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)reply.Written);
                        counters.Answer(response.AsSpan(2, reply.Written));
                        await stream.WriteAsync(response.AsMemory(0, reply.Written + 2), stopping.Token).ConfigureAwait(false);
                        continue;
                    }

                    byte[]? bytes = reply.Bytes;
                    if (reply.ToForward is { } query)
                    {
                        bytes = DnsResponder.Relay(query, await forwarder!.ForwardAsync(query, stopping.Token).ConfigureAwait(false), overTcp: true).Bytes;
                    }

                    if (bytes is null)
                    {
                        return; // unparseable: a stream we cannot resynchronise with
                    }

                    counters.Answer(bytes);
                    await TcpFraming.WriteAsync(stream, bytes, stopping.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // closed, idle, or stopping
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                note($"dns: a TCP connection on {Endpoint} ended with {e.GetType().Name}: {e.Message}"); // ours, not the client's: the others go on
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(response);
            }
        }
    }

    private DnsReply Handle(byte[] packet, int length, bool overTcp, Span<byte> response)
    {
        try
        {
            DnsReply reply = responder.Respond(packet, length, scope, overTcp, response);
            if (reply.ToForward is { } query && forwarder is null)
            {
                return DnsResponder.Reply(query, DnsResponder.NewResponse(query, MessageStatus.NameError), overTcp); // no upstream here: the name does not exist for us
            }

            if (reply.IsDrop)
            {
                counters.Drop();
            }

            return reply;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug of ours, not the client's: it gets SERVFAIL, the log gets the reason, the loop goes on.
            note($"dns: answering a query on {Endpoint} failed: {e.Message}");
            return length >= Message.MinLength ? DnsResponder.Error(packet, MessageStatus.ServerFailure) : DnsReply.Drop;
        }
    }
}
