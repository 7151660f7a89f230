using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// Synchronous request/answer exchanges over one netlink transport. Each request carries
/// NLM_F_REQUEST|NLM_F_ACK and the next sequence number; the answer is read until the
/// NLMSG_ERROR (error 0 = ack) or NLMSG_DONE with that number. Messages with another number
/// are answers to an earlier request that was given up (timed out) and are dropped.
/// <para>
/// Not thread-safe: one exchange at a time (asserted, since the receive buffer is shared).
/// </para>
/// </summary>
internal sealed class NetlinkSocket : IDisposable
{
    /// <summary>
    /// One datagram. The kernel sizes a dump's datagrams to the reader's buffer but never above
    /// 32 KiB, and our acks echo only the request header (NETLINK_CAP_ACK), so nothing is
    /// truncated; a truncated datagram would still be caught by <see cref="NetlinkMessageReader"/>.
    /// Reused across exchanges, which is why exchanges cannot overlap.
    /// </summary>
    public const int ReceiveBufferBytes = 64 * 1024;

    /// <summary>A dump the kernel marks inconsistent (NLM_F_DUMP_INTR: the table changed under it) is redone this many times at most.</summary>
    public const int DumpAttemptsMax = 5;

    /// <summary>A bound on the datagrams one exchange may read, so a misbehaving peer cannot keep us reading forever.</summary>
    public const int DatagramsPerExchangeMax = 1_000_000;

    /// <summary>
    /// Requests per datagram in <see cref="ExecuteAll"/>. The kernel queues an ack per request on
    /// our socket while it works through the datagram, and drops acks (ENOBUFS) once the receive
    /// buffer is full; each queued ack costs about 1 KiB of it (the socket buffer's overhead, not
    /// the 36-byte message), so 32 stay far below the 208 KiB default, let alone the 1 MiB we ask for.
    /// </summary>
    public const int BatchMessagesMax = 32;

    private const int EIntr = 4;

    private readonly INetlinkTransport _transport;
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferBytes];
    private uint _sequence;
    private int _busy;

    /// <summary>Takes ownership of <paramref name="transport"/>.</summary>
    public NetlinkSocket(INetlinkTransport transport) => _transport = transport;

    /// <summary>A request builder with the flags every request carries, plus <paramref name="flags"/>.</summary>
    public static NetlinkMessageBuilder Request(ushort type, ushort flags = 0) =>
        new(type, (ushort)(Rtnl.Flags.Request | Rtnl.Flags.Ack | flags));

    /// <summary>Sends a change request and waits for its ack.</summary>
    /// <param name="hint">
    /// Picks the exception's hint for an errno whose usual cause is particular to this request
    /// (EEXIST from an add: "replace overwrites it"); null or a null answer keeps
    /// <see cref="NetlinkException.DefaultHint"/>.
    /// </param>
    /// <exception cref="NetlinkException">The kernel refused it, or did not answer in time (ETIMEDOUT).</exception>
    public void Execute(NetlinkMessageBuilder request, string operation, string target, Func<int, string?>? hint = null)
    {
        Exchange<bool>(request, operation, target, decode: null, results: null, hint);
    }

    /// <summary>
    /// Sends a get or dump request and decodes every answer message. A dump that the kernel flags
    /// as interrupted is redone with a new request (up to <see cref="DumpAttemptsMax"/> times), so the
    /// caller sees one consistent snapshot. <paramref name="request"/> builds a fresh request each time.
    /// </summary>
    /// <exception cref="NetlinkException">The kernel refused it, did not answer in time, or kept interrupting the dump (EINTR).</exception>
    public List<T> Query<T>(Func<NetlinkMessageBuilder> request, NetlinkDecoder<T> decode, string operation, string target)
    {
        for (int attempt = 1; attempt <= DumpAttemptsMax; attempt++)
        {
            List<T> results = [];
            if (!Exchange(request(), operation, target, decode, results, hint: null))
            {
                return results;
            }
        }

        throw new NetlinkException(operation, target, EIntr, hint: $"the dump was interrupted by concurrent changes {DumpAttemptsMax} times in a row");
    }

    /// <summary>
    /// Sends change requests several to a datagram (at most <see cref="BatchMessagesMax"/>), each
    /// with its own sequence number and ack, and waits for every ack: one system call each way
    /// for a whole batch instead of one per request. The kernel carries out a datagram's messages
    /// in order and goes on after a refusal, so each request succeeds or fails on its own.
    /// </summary>
    /// <returns>The refusals, in request order (empty when all were done); a request's <c>Tolerated</c> errno is not one.</returns>
    /// <exception cref="NetlinkException">The kernel did not answer in time (ETIMEDOUT), or the send failed.</exception>
    public List<NetlinkException> ExecuteAll(IReadOnlyList<NetlinkRequest> requests)
    {
        List<NetlinkException> refusals = [];
        for (int start = 0; start < requests.Count; start += BatchMessagesMax)
        {
            int count = Math.Min(BatchMessagesMax, requests.Count - start);
            ExchangeBatch(requests, start, count, refusals);
        }

        return refusals;
    }

    public void Dispose() => _transport.Dispose();

    /// <returns>Whether the kernel flagged the answer as interrupted (NLM_F_DUMP_INTR).</returns>
    private bool Exchange<T>(NetlinkMessageBuilder request, string operation, string target, NetlinkDecoder<T>? decode, List<T>? results, Func<int, string?>? hint)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("a netlink socket does one exchange at a time; use one RouteNetlink per thread");
        }

        try
        {
            uint sequence = ++_sequence;
            _transport.Send(request.Finish(sequence));
            bool interrupted = false;
            for (int datagram = 0; datagram < DatagramsPerExchangeMax; datagram++)
            {
                NetlinkMessageReader reader = new(_receiveBuffer.AsSpan(0, Receive(operation, target)));
                while (reader.TryRead(out NetlinkMessage message))
                {
                    if (message.Sequence != sequence)
                    {
                        continue;
                    }

                    interrupted |= (message.Flags & Rtnl.Flags.DumpInterrupted) != 0;
                    if (message.Type is Rtnl.Message.Error or Rtnl.Message.Done)
                    {
                        int errno = NetlinkError.Decode(message, out string? kernelMessage);
                        return errno == 0 ? interrupted : throw new NetlinkException(operation, target, errno, kernelMessage, hint?.Invoke(errno));
                    }

                    if (message.Type != Rtnl.Message.Noop && decode is not null && decode(message, out T value))
                    {
                        results!.Add(value);
                    }
                }
            }

            throw new InvalidOperationException($"netlink: {operation} {target}: no end after {DatagramsPerExchangeMax} datagrams");
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void ExchangeBatch(IReadOnlyList<NetlinkRequest> requests, int start, int count, List<NetlinkException> refusals)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("a netlink socket does one exchange at a time; use one RouteNetlink per thread");
        }

        try
        {
            uint first = _sequence + 1;
            var datagram = new List<byte>();
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> message = requests[start + i].Message.Finish(++_sequence);
                datagram.AddRange(message);
                datagram.AddRange(new byte[NetlinkMessageBuilder.Align(message.Length) - message.Length]);
            }

            _transport.Send(datagram.ToArray());
            var answered = new bool[count];
            var refused = new NetlinkException?[count];
            int pending = count;
            NetlinkRequest last = requests[start + count - 1];
            for (int read = 0; pending > 0 && read < DatagramsPerExchangeMax; read++)
            {
                NetlinkMessageReader reader = new(_receiveBuffer.AsSpan(0, Receive(last.Operation, $"{last.Target} (a batch of {count})")));
                while (reader.TryRead(out NetlinkMessage message))
                {
                    long index = (long)message.Sequence - first;
                    if (index < 0 || index >= count || answered[index] || message.Type != Rtnl.Message.Error)
                    {
                        continue; // an answer to an abandoned exchange
                    }

                    answered[index] = true;
                    pending--;
                    NetlinkRequest request = requests[start + (int)index];
                    int errno = NetlinkError.Decode(message, out string? kernelMessage);
                    if (errno != 0 && errno != request.Tolerated)
                    {
                        refused[index] = new NetlinkException(request.Operation, request.Target, errno, kernelMessage, request.Hint?.Invoke(errno));
                    }
                }
            }

            if (pending > 0)
            {
                throw new InvalidOperationException($"netlink: a batch of {count} requests: {pending} unanswered after {DatagramsPerExchangeMax} datagrams");
            }

            refusals.AddRange(refused.OfType<NetlinkException>());
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private int Receive(string operation, string target)
    {
        try
        {
            return _transport.Receive(_receiveBuffer);
        }
        catch (TimeoutException e)
        {
            throw new NetlinkException(operation, target, Errno.ETIMEDOUT, hint: e.Message);
        }
    }
}
