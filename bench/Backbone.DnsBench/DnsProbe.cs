using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backbone.DnsBench;

/// <summary>
/// One UDP socket asking one server one A question, one query outstanding at a time: just enough
/// DNS to read the rcode and the answer count (the freshness probe needs nothing else).
/// </summary>
public sealed class DnsProbe : IDisposable
{
    private readonly Socket socket;
    private readonly byte[] query;
    private readonly byte[] buffer = new byte[4096];
    private ushort id;

    public DnsProbe(IPEndPoint server, string name, TimeSpan timeout)
    {
        socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = (int)timeout.TotalMilliseconds };
        socket.Connect(server);
        query = BuildQuery(name);
        id = (ushort)Random.Shared.Next(ushort.MaxValue);
    }

    /// <summary>The answer count of a NOERROR reply; -1 for another rcode, a timeout or a reply that is not ours.</summary>
    public int AnswerCount()
    {
        id++;
        BinaryPrimitives.WriteUInt16BigEndian(query, id);
        socket.Send(query);
        while (true)
        {
            int length;
            try
            {
                length = socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionRefused)
            {
                return -1;
            }

            // A late reply to an earlier, timed-out query: not this one's.
            if (length < 12 || BinaryPrimitives.ReadUInt16BigEndian(buffer) != id)
            {
                continue;
            }

            bool isReply = (buffer[2] & 0x80) != 0;
            int rcode = buffer[3] & 0x0f;
            return isReply && rcode == 0 ? BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(6)) : -1;
        }
    }

    public void Dispose() => socket.Dispose();

    /// <summary>Header (id filled per query, RD set, one question), the name's labels, type A, class IN.</summary>
    private static byte[] BuildQuery(string name)
    {
        var bytes = new List<byte> { 0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (string label in name.TrimEnd('.').Split('.'))
        {
            byte[] text = Encoding.ASCII.GetBytes(label);
            bytes.Add((byte)text.Length);
            bytes.AddRange(text);
        }

        bytes.AddRange([0, 0, 1, 0, 1]);
        return [.. bytes];
    }
}
