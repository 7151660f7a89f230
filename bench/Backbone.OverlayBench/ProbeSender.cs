using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Backbone.Overlay.Netlink;

namespace Backbone.OverlayBench;

/// <summary>
/// The far end: a UDP socket made in a container's namespace on another host, sending one
/// small datagram a millisecond (Thread.Sleep(1): about 1.1 ms apart) to the new container's
/// address, each carrying its sequence number, until disposed. Its send times are kept so the
/// first delivered datagram's own transit is known.
/// </summary>
public sealed class ProbeSender : IDisposable
{
    public const int DatagramBytes = 8;

    /// <summary>A bound on the send-time record: at ~1 ms apart, far more than any sample's timeout.</summary>
    private const int MaxRecorded = 1 << 16;

    private readonly Socket socket;
    private readonly IPEndPoint target;
    private readonly Thread thread;
    private readonly long[] sentAt = new long[MaxRecorded];
    private volatile bool stopping;

    /// <summary>Datagrams whose send time is recorded: written before each send, so a datagram that arrived is always counted.</summary>
    private long recorded;

    public ProbeSender(string senderNamespace, IPEndPoint target)
    {
        this.target = target;
        socket = NetworkNamespace.Run(senderNamespace, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        thread = new Thread(Run) { IsBackground = true, Name = "probe sender" };
        thread.Start();
    }

    /// <summary>Stopwatch time datagram <paramref name="sequence"/> was sent, or 0 if not recorded.</summary>
    public long SentAt(long sequence) => sequence >= 0 && sequence < Volatile.Read(ref recorded) ? sentAt[sequence] : 0;

    private void Run()
    {
        byte[] datagram = new byte[DatagramBytes];
        for (long sequence = 0; !stopping && sequence < MaxRecorded; sequence++)
        {
            BinaryPrimitives.WriteInt64BigEndian(datagram, sequence);
            sentAt[sequence] = Stopwatch.GetTimestamp();
            Volatile.Write(ref recorded, sequence + 1);
            try
            {
                socket.SendTo(datagram, target);
            }
            catch (SocketException)
            {
                // No route or neighbour yet, or an ICMP error from an earlier datagram: keep sending.
            }

            Thread.Sleep(1);
        }
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join();
        socket.Dispose();
    }
}
