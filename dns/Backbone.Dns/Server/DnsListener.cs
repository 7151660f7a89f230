using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Backbone.Dns.Forwarding;
using Backbone.Dns.Names;
using Backbone.Dns.Server.Batching;
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

    /// <summary>How long stopping waits for TCP connections to close themselves before closing them.</summary>
    private static readonly TimeSpan ConnectionGrace = TimeSpan.FromSeconds(1);

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
    private readonly int udpBatch;
    private readonly TaskCompletionSource udpStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The UDP thread wakes this often when idle, to notice a stop should the shutdown that wakes it at once not.</summary>
    private static readonly TimeSpan UdpWakeUp = TimeSpan.FromSeconds(1);

    /// <summary>The UDP thread's stack: it only answers queries (the name table's lookups take a 512-byte stack buffer).</summary>
    private const int UdpThreadStack = 256 * 1024;

    /// <param name="udpBatch">Datagrams taken per receive call: many for a busy host listener, a few for a container's.</param>
    public DnsListener(Socket udp, Socket tcp, NameScope scope, DnsResponder responder, UpstreamForwarder? forwarder, DnsCounters counters, Action<string> note, int udpBatch = 16)
    {
        this.udp = udp;
        this.tcp = tcp;
        this.scope = scope;
        this.responder = responder;
        this.forwarder = forwarder;
        this.counters = counters;
        this.note = note;
        Endpoint = (IPEndPoint)udp.LocalEndPoint!;
        this.udpBatch = udpBatch;
        MessageSyscalls.SetReceiveTimeout(udp, UdpWakeUp);
        new Thread(ServeUdp, UdpThreadStack) { IsBackground = true, Name = $"dns udp {Endpoint}" }.Start();
        loops = [udpStopped.Task, Task.Run(AcceptTcpAsync)];
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
        try
        {
            // Wakes the UDP thread's blocking receive (closing the descriptor would not).
            udp.Shutdown(SocketShutdown.Receive);
        }
        catch (SocketException)
        {
            // ENOTCONN, as Linux says for an unconnected UDP socket, after doing it
        }

        tcp.Dispose();

        // Connections end themselves as their reads are cancelled, closing with a FIN. Disposing
        // one under a pending read would reset it instead, so only those still open after a
        // moment are disposed here (in a container they hold its namespace, which must go).
        Task connectionsEnded = Task.WhenAll(open.Values);
        if (await Task.WhenAny(connectionsEnded, Task.Delay(ConnectionGrace)).ConfigureAwait(false) != connectionsEnded)
        {
            foreach (Socket connection in open.Keys)
            {
                connection.Dispose();
            }
        }

        await udpStopped.Task.ConfigureAwait(false);
        udp.Dispose();
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

    /// <summary>
    /// The UDP loop, on its own thread: a blocking <c>recvmmsg</c> takes every queued datagram at
    /// once, each is answered into its slot (the table's answers without allocating), and one
    /// <c>sendmmsg</c> sends the batch's replies. A query to forward leaves the loop at once: its
    /// answer is sent from the forward's own task.
    /// </summary>
    private void ServeUdp()
    {
        bool referenced = false;
        try
        {
            udp.SafeHandle.DangerousAddRef(ref referenced); // the descriptor stays ours until the loop ends, even if disposed under it
            int socket = (int)udp.SafeHandle.DangerousGetHandle();
            using var batch = new DatagramBatch(udpBatch);
            while (!stopping.IsCancellationRequested)
            {
                int count = batch.Receive(socket, out int errno);
                long received = Stopwatch.GetTimestamp(); // the batch's arrival: each query's wait in it is part of its latency
                if (count < 0 && errno is not (MessageSyscalls.EAgain or MessageSyscalls.EIntr) && !stopping.IsCancellationRequested)
                {
                    note($"dns: receiving on {Endpoint}: errno {errno} (going on)");
                    Thread.Sleep(AcceptRetry);
                }

                for (int i = 0; i < count; i++)
                {
                    Answer(batch, i, received);
                }

                if (count > 0)
                {
                    batch.SendReplies(socket, count);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            note($"dns: the UDP loop on {Endpoint} stopped: {e.Message}");
        }
        finally
        {
            if (referenced)
            {
                udp.SafeHandle.DangerousRelease();
            }

            udpStopped.TrySetResult();
        }
    }

    private void Answer(DatagramBatch batch, int slot, long received)
    {
        counters.Query();
        byte[] reply = batch.Reply(slot);
        byte[] packet = batch.Packet(slot);
        DnsReply answer;
        if (batch.Truncated(slot))
        {
            // Over 4 KiB, so cut: no sane query is that long, and we read no further. The client
            // hears FORMERR (as it would from the whole packet: thousands of questions, or names
            // past the limits); a response sent to us is still never answered.
            if ((packet[2] & 0x80) != 0)
            {
                counters.Drop();
                return;
            }

            answer = DnsResponder.Error(packet, MessageStatus.FormatError);
        }
        else
        {
            answer = Handle(packet, batch.Length(slot), overTcp: false, reply);
        }

        if (answer.Written > 0)
        {
            batch.SetReply(slot, answer.Written);
        }
        else if (answer.Bytes is { } bytes && bytes.Length <= reply.Length) // always: UDP answers are cut to 1,232 bytes
        {
            bytes.CopyTo(reply, 0);
            batch.SetReply(slot, bytes.Length);
        }
        else if (answer.ToForward is { } query)
        {
            _ = ForwardUdpAsync(query, batch.Sender(slot), received);
            return;
        }
        else
        {
            return; // dropped (Handle counted it)
        }

        counters.Answer(batch.ReplyBytes(slot), received);
    }

    /// <summary>Runs on its own (nobody awaits it), so it ends every way quietly: stopping, or a failure noted.</summary>
    private async Task ForwardUdpAsync(Message query, EndPoint client, long received)
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

            SendUdp(reply.Bytes!, client, received);
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

    /// <summary>
    /// A blocking send (UDP sends do not wait): never an async socket call, which would make the
    /// descriptor non-blocking under the receive loop's blocking <c>recvmmsg</c>.
    /// </summary>
    private void SendUdp(byte[] bytes, EndPoint client, long received)
    {
        counters.Answer(bytes, received);
        try
        {
            udp.SendTo(bytes, SocketFlags.None, client);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
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

                    long received = Stopwatch.GetTimestamp();
                    counters.Query();
                    // Written after a two-byte gap, so the fast path's answer is framed in place.
                    DnsReply reply = Handle(message, message.Length, overTcp: true, response.AsSpan(2));
                    if (reply.Written > 0)
                    {
                        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)reply.Written);
                        counters.Answer(response.AsSpan(2, reply.Written), received);
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

                    counters.Answer(bytes, received);
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
