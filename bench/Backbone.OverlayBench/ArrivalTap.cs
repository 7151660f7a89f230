using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Backbone.Overlay.Netlink;

namespace Backbone.OverlayBench;

/// <summary>
/// Where the probe's datagrams arrive: a packet socket (AF_PACKET, every frame of every link) in
/// the receiving host's sandbox, open before the sample starts, so nothing races the agent's
/// building of the container. A datagram crossing the overlay shows up first on the sandbox's
/// vxlan0, decapsulated, then on the container's veth; the first frame carrying a probe
/// datagram for the new address is its arrival on that host. The container's veth and address
/// exist by then: the agent builds the container before it publishes the endpoint, and the far
/// host can only send after that. One thread reads; it stops at the first match or the deadline.
/// </summary>
public sealed class ArrivalTap : IDisposable
{
    /// <summary>ETH_P_ALL in network byte order: every protocol.</summary>
    private const ProtocolType AllFrames = (ProtocolType)0x0300;

    private const int EthernetBytes = 14;

    private readonly Socket socket;
    private readonly int port;
    private readonly long deadline;
    private readonly Thread thread;
    private readonly ManualResetEventSlim done = new();
    private volatile bool stopping;
    private volatile IPAddress? target;

    public ArrivalTap(string sandbox, int port, TimeSpan limit)
    {
        this.port = port;
        socket = NetworkNamespace.Run(sandbox, () => new Socket(AddressFamily.Packet, SocketType.Raw, AllFrames));
        deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        thread = new Thread(Run) { IsBackground = true, Name = "arrival tap" };
        thread.Start();
    }

    /// <summary>Stopwatch time the first probe frame for the target was read (0: none came).</summary>
    public long FirstAt { get; private set; }

    /// <summary>The sender's sequence number in that datagram.</summary>
    public long FirstSequence { get; private set; } = -1;

    /// <summary>The new container's address, once known: only datagrams to it count.</summary>
    public void Expect(IPAddress address) => target = address;

    /// <summary>Waits for the first arrival or the deadline; true when one came.</summary>
    public bool Wait()
    {
        done.Wait();
        return FirstAt != 0;
    }

    private void Run()
    {
        byte[] frame = new byte[2048];
        try
        {
            while (!stopping)
            {
                int remainingMs = (int)((deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
                if (remainingMs <= 0)
                {
                    return;
                }

                socket.ReceiveTimeout = remainingMs;
                int length = socket.Receive(frame);
                long now = Stopwatch.GetTimestamp();
                if (target is { } expected && ProbeSequence(frame.AsSpan(0, length), expected) is long sequence)
                {
                    FirstSequence = sequence;
                    FirstAt = now;
                    return;
                }
            }
        }
        catch (SocketException e) when (stopping || e.SocketErrorCode == SocketError.TimedOut)
        {
            // Closed by Dispose, or timed out.
        }
        catch (ObjectDisposedException) when (stopping)
        {
            // Closed by Dispose.
        }
        finally
        {
            done.Set();
        }
    }

    /// <summary>The probe's sequence number if the frame is IPv4/UDP to <paramref name="expected"/>:port with a probe payload, else null.</summary>
    private long? ProbeSequence(ReadOnlySpan<byte> frame, IPAddress expected)
    {
        if (frame.Length < EthernetBytes + 20 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800)
        {
            return null;
        }

        ReadOnlySpan<byte> ip = frame[EthernetBytes..];
        int headerBytes = (ip[0] & 0x0f) * 4;
        if (ip[9] != (byte)ProtocolType.Udp || ip.Length < headerBytes + 8 + ProbeSender.DatagramBytes || !new IPAddress(ip.Slice(16, 4)).Equals(expected))
        {
            return null;
        }

        ReadOnlySpan<byte> udp = ip[headerBytes..];
        return BinaryPrimitives.ReadUInt16BigEndian(udp[2..]) == port ? BinaryPrimitives.ReadInt64BigEndian(udp[8..]) : null;
    }

    public void Dispose()
    {
        stopping = true;
        socket.Dispose();
        thread.Join();
        done.Dispose();
    }
}
