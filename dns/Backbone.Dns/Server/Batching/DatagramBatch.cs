using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Backbone.Dns.Server.Batching.MessageSyscalls;

namespace Backbone.Dns.Server.Batching;

/// <summary>
/// The buffers for a batch of datagrams: one receive buffer, sender address and reply buffer
/// per slot, and the two header vectors the kernel reads and fills (one for <c>recvmmsg</c>, one
/// for <c>sendmmsg</c>). Allocated once per listener, pinned, reused for every batch: a query
/// costs no allocation here. One thread uses a batch at a time.
/// </summary>
internal sealed unsafe class DatagramBatch : IDisposable
{
    /// <summary>The largest query read over UDP; longer ones arrive cut and are dropped (TCP takes 4 KiB too).</summary>
    public const int MaxQuery = 4096;

    private const int AddressSize = 128; // sockaddr_storage

    private readonly byte[][] packets;
    private readonly byte[][] replies;
    private readonly MultiMessage* received;
    private readonly MultiMessage* outgoing;
    private readonly IoVector* receiveVectors;
    private readonly IoVector* sendVectors;
    private readonly byte* addresses;
    private readonly int[] replyLengths;

    public DatagramBatch(int capacity)
    {
        Capacity = capacity;
        packets = new byte[capacity][];
        replies = new byte[capacity][];
        replyLengths = new int[capacity];
        received = (MultiMessage*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(MultiMessage)));
        outgoing = (MultiMessage*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(MultiMessage)));
        receiveVectors = (IoVector*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(IoVector)));
        sendVectors = (IoVector*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(IoVector)));
        addresses = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * AddressSize));
        for (int i = 0; i < capacity; i++)
        {
            // Pinned for the batch's life: the kernel writes into them between our calls.
            packets[i] = GC.AllocateArray<byte>(MaxQuery, pinned: true);
            replies[i] = GC.AllocateArray<byte>(DnsResponder.OurUdpPayload, pinned: true);
            receiveVectors[i] = new IoVector { Base = (nint)Unsafe.AsPointer(ref packets[i][0]), Length = MaxQuery };
            received[i].Header = new MessageHeader
            {
                Name = (nint)(addresses + (i * AddressSize)),
                NameLength = AddressSize,
                Vectors = (nint)(receiveVectors + i),
                VectorCount = 1,
            };
        }

        armed = capacity;
    }

    /// <summary>How many slots are ready for the next receive; the others' headers hold what the last one wrote.</summary>
    private int armed;

    public int Capacity { get; }

    /// <summary>
    /// Waits for at least one datagram and takes up to <see cref="Capacity"/>: the count, or -1
    /// with the errno (EAGAIN: the receive timeout passed; EINTR: a signal).
    /// </summary>
    public int Receive(int socket, out int errno)
    {
        // Only the slots the last call filled need re-arming (the kernel wrote their address
        // length, flags and byte count; the pointers never change): at a modest rate a call takes
        // one or two datagrams, and re-arming all 64 would cost more than answering them.
        for (int i = 0; i < armed; i++)
        {
            received[i].Header.NameLength = AddressSize;
            received[i].Header.Flags = 0;
            received[i].Length = 0;
            replyLengths[i] = 0;
        }

        int count = ReceiveMany(socket, received, (uint)Capacity, MsgWaitForOne, 0);
        errno = count < 0 ? Marshal.GetLastPInvokeError() : 0;
        armed = Math.Max(count, 0);
        return count;
    }

    /// <summary>Slot <paramref name="i"/>'s datagram (its buffer; the first <see cref="Length"/> bytes are it).</summary>
    public byte[] Packet(int i) => packets[i];

    public int Length(int i) => (int)received[i].Length;

    /// <summary>Whether slot <paramref name="i"/>'s datagram was longer than <see cref="MaxQuery"/> and arrived cut.</summary>
    public bool Truncated(int i) => (received[i].Header.Flags & MsgTrunc) != 0;

    /// <summary>Where slot <paramref name="i"/>'s reply is written (<see cref="DnsResponder.OurUdpPayload"/> bytes).</summary>
    public byte[] Reply(int i) => replies[i];

    /// <summary>Marks slot <paramref name="i"/>'s reply, its first <paramref name="length"/> bytes, to be sent by <see cref="SendReplies"/>.</summary>
    public void SetReply(int i, int length) => replyLengths[i] = length;

    /// <summary>The sender of slot <paramref name="i"/>, as an endpoint object (allocates: for the forwarding path only).</summary>
    public IPEndPoint Sender(int i)
    {
        var address = new SocketAddress(received[i].Header.NameLength == 16 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6, (int)received[i].Header.NameLength);
        new ReadOnlySpan<byte>(addresses + (i * AddressSize), (int)received[i].Header.NameLength).CopyTo(address.Buffer.Span);
        var any = new IPEndPoint(address.Family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        return (IPEndPoint)any.Create(address);
    }

    /// <summary>
    /// Sends every reply set in this batch, each to its sender, in as few calls as the kernel
    /// allows. A reply the kernel refuses (the sender's address unreachable) is skipped, not retried.
    /// </summary>
    public void SendReplies(int socket, int receivedCount)
    {
        int pending = 0;
        for (int i = 0; i < receivedCount; i++)
        {
            if (replyLengths[i] == 0)
            {
                continue;
            }

            sendVectors[pending] = new IoVector { Base = (nint)Unsafe.AsPointer(ref replies[i][0]), Length = (nuint)replyLengths[i] };
            outgoing[pending].Header = new MessageHeader
            {
                Name = (nint)(addresses + (i * AddressSize)),
                NameLength = received[i].Header.NameLength,
                Vectors = (nint)(sendVectors + pending),
                VectorCount = 1,
            };
            pending++;
        }

        int sent = 0;
        while (sent < pending)
        {
            int result = SendMany(socket, outgoing + sent, (uint)(pending - sent), 0);
            if (result < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr)
                {
                    continue;
                }

                result = 1; // the first of the rest failed on its own: skip it, send the others
            }

            sent += result;
        }
    }

    /// <summary>Slot <paramref name="i"/>'s reply as set (empty when there is none), for counting.</summary>
    public ReadOnlySpan<byte> ReplyBytes(int i) => replies[i].AsSpan(0, replyLengths[i]);

    public void Dispose()
    {
        NativeMemory.Free(received);
        NativeMemory.Free(outgoing);
        NativeMemory.Free(receiveVectors);
        NativeMemory.Free(sendVectors);
        NativeMemory.Free(addresses);
    }
}
