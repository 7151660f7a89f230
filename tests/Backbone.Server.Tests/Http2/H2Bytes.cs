using System.Buffers.Binary;
using System.Text;

namespace Backbone.Server.Tests.Http2;

/// <summary>Builds the octets an HTTP/2 client sends: the preface, frames, and HPACK fields written by hand.</summary>
public static class H2Bytes
{
    public const byte Data = 0x0;
    public const byte Headers = 0x1;
    public const byte RstStream = 0x3;
    public const byte Settings = 0x4;
    public const byte GoAway = 0x7;
    public const byte Continuation = 0x9;

    public const byte EndStream = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte Priority = 0x20;

    /// <summary>"http://127.0.0.1:23791" Huffman-coded, as grpc-go sends it (computed with RFC 7541 appendix B).</summary>
    public static readonly byte[] HuffmanSchemeAuthority = Convert.FromHexString("9d29aee30c044eae05c0b86e09975f0f");

    public static byte[] Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    public static byte[] Frame(byte type, byte flags, int stream, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A string literal, not Huffman-coded (lengths under 127).</summary>
    public static byte[] Str(string text) => [(byte)text.Length, .. Encoding.ASCII.GetBytes(text)];

    /// <summary>A string literal already Huffman-coded (lengths under 127).</summary>
    public static byte[] Huff(byte[] encoded) => [(byte)(0x80 | encoded.Length), .. encoded];

    /// <summary>The headers of a unary gRPC call to etcd's Maintenance.Status, <paramref name="authority"/> being the :authority field's octets.</summary>
    public static byte[] StatusCallHeaders(byte[] authority) => Concat(
        [0x83, 0x86], // :method POST, :scheme http (static 3 and 6)
        [0x04], Str("/etcdserverpb.Maintenance/Status"), // :path, literal without indexing
        authority,
        [0x0f, 0x10], Str("application/grpc"), // content-type (static 31), without indexing
        [0x00], Str("te"), Str("trailers"));

    /// <summary>An empty gRPC message (StatusRequest has no fields): not compressed, length 0.</summary>
    public static byte[] EmptyGrpcMessage => [0, 0, 0, 0, 0];
}
