using System.Buffers.Binary;
using System.Text;

namespace Backbone.Dns.Tests.Server;

/// <summary>DNS messages written byte by byte, for what no well-behaved client library would send.</summary>
internal static class Packets
{
    public const int HeaderLength = 12;

    /// <summary>Flags of a standard query with RD set.</summary>
    public const ushort QueryFlags = 0x0100;

    public static byte[] Header(ushort id, ushort flags = QueryFlags, int questions = 1, int answers = 0, int authority = 0, int additional = 0)
    {
        byte[] header = new byte[HeaderLength];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)questions);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)answers);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), (ushort)authority);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), (ushort)additional);
        return header;
    }

    /// <summary>A name as length-prefixed labels and the root's zero byte (no compression).</summary>
    public static byte[] Name(string name)
    {
        var bytes = new List<byte>();
        foreach (string label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        return [.. bytes];
    }

    /// <summary>Type and class (IN) after a question's name.</summary>
    public static byte[] TypeAndClass(ushort type, ushort dnsClass = 1) => [(byte)(type >> 8), (byte)type, (byte)(dnsClass >> 8), (byte)dnsClass];

    /// <summary>A whole query: header, one question, and an OPT record when <paramref name="ednsPayload"/> is given.</summary>
    public static byte[] Query(ushort id, string name, ushort type = 1, ushort? ednsPayload = null) =>
        [.. Header(id, additional: ednsPayload is null ? 0 : 1), .. Name(name), .. TypeAndClass(type), .. ednsPayload is { } payload ? Opt(payload) : []];

    /// <summary>An OPT record (root owner, type 41, the payload size as its class) with <paramref name="rdata"/> as its options.</summary>
    public static byte[] Opt(ushort payload, byte[]? rdata = null, int? rdLength = null)
    {
        rdata ??= [];
        int length = rdLength ?? rdata.Length;
        return [0, 0, 41, (byte)(payload >> 8), (byte)payload, 0, 0, 0, 0, (byte)(length >> 8), (byte)length, .. rdata];
    }

    public static ushort Id(byte[] message) => BinaryPrimitives.ReadUInt16BigEndian(message);

    public static int Rcode(byte[] message) => message[3] & 0xf;

    public static bool IsResponse(byte[] message) => (message[2] & 0x80) != 0;
}
