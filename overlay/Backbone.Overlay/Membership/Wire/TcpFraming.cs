using System.Buffers.Binary;
using System.Net.Sockets;

namespace Backbone.Overlay.Membership.Wire;

/// <summary>
/// A message over TCP is a frame: a big-endian u16 length, then that many bytes (one message, as
/// in a datagram). A connection carries one ping and one ack, then closes.
/// </summary>
internal static class TcpFraming
{
    public static async ValueTask WriteAsync(Socket socket, byte[] message, CancellationToken cancellation)
    {
        byte[] frame = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, checked((ushort)message.Length));
        message.CopyTo(frame, 2);
        int sent = 0;
        while (sent < frame.Length)
        {
            sent += await socket.SendAsync(frame.AsMemory(sent), SocketFlags.None, cancellation);
        }
    }

    /// <summary>One frame's message, or null when the peer closed first or announced more than <paramref name="maxBytes"/>.</summary>
    public static async ValueTask<byte[]?> ReadAsync(Socket socket, int maxBytes, CancellationToken cancellation)
    {
        byte[] header = new byte[2];
        if (!await ReadExactlyAsync(socket, header, cancellation))
        {
            return null;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(header);
        if (length == 0 || length > maxBytes)
        {
            return null;
        }

        byte[] message = new byte[length];
        return await ReadExactlyAsync(socket, message, cancellation) ? message : null;
    }

    private static async ValueTask<bool> ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken cancellation)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int got = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellation);
            if (got == 0)
            {
                return false;
            }

            read += got;
        }

        return true;
    }
}
