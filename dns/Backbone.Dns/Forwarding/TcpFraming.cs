using System.Buffers.Binary;

namespace Backbone.Dns.Forwarding;

/// <summary>DNS over TCP: each message preceded by its length in two bytes (RFC 1035 4.2.2).</summary>
public static class TcpFraming
{
    public static async Task WriteAsync(Stream stream, byte[] message, CancellationToken cancellationToken)
    {
        byte[] framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed, 2);
        await stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The next message, or null at the end of the stream, a message cut short, or one longer than
    /// <paramref name="maxLength"/> (a server reading queries gives a small bound: a length prefix
    /// alone must not make it hold 64 KiB per connection).
    /// </summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, CancellationToken cancellationToken, int maxLength = ushort.MaxValue)
    {
        byte[] prefix = new byte[2];
        if (!await FillAsync(stream, prefix, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
        if (length > maxLength)
        {
            return null;
        }

        byte[] message = new byte[length];
        return await FillAsync(stream, message, cancellationToken).ConfigureAwait(false) ? message : null;
    }

    private static async Task<bool> FillAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int got = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (got == 0)
            {
                return false;
            }

            read += got;
        }

        return true;
    }
}
