using System.Buffers.Binary;
using Backbone.Dns.Names;

namespace Backbone.Dns.Server;

/// <summary>
/// The query nearly every client sends, read without allocating: opcode QUERY, one question
/// whose name is plain (no compression, printable ASCII labels without dots or backslashes),
/// class IN or ANY, no answer or authority records, and at most one additional record, an OPT.
/// Anything else is not a plain query and goes to <see cref="QueryReader"/> and the general
/// path, which also decides what is malformed; so reading here never has to reject a packet,
/// only to decline it.
/// </summary>
internal readonly struct PlainQuery
{
    private const ushort OptType = 41;

    public ushort Id { get; private init; }

    /// <summary>The RD bit, copied into the response.</summary>
    public bool RecursionDesired { get; private init; }

    /// <summary>Where the question (name, type, class) ends: the response copies bytes 12 to here.</summary>
    public int QuestionEnd { get; private init; }

    public RecordType Type { get; private init; }

    /// <summary>The length of the name's key (lower case, trailing dot) written into the caller's buffer.</summary>
    public int KeyLength { get; private init; }

    public bool HasOpt { get; private init; }

    /// <summary>The client's EDNS0 UDP payload size (the OPT's class); 0 without an OPT.</summary>
    public ushort UdpPayload { get; private init; }

    public byte OptVersion { get; private init; }

    /// <summary>
    /// Reads <paramref name="packet"/> (already known to be at least a header, not a response)
    /// as a plain query, writing its name's table key into <paramref name="key"/> (at least
    /// <see cref="DnsNames.MaxChars"/> long). False when it is anything else.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, Span<char> key, out PlainQuery query)
    {
        query = default;
        if (packet.Length < QueryReader.HeaderLength
            || (packet[2] & 0xf8) != 0 // QR and opcode: a QUERY
            || BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) != 1
            || BinaryPrimitives.ReadUInt32BigEndian(packet[6..]) != 0) // no answers, no authority
        {
            return false;
        }

        int additional = BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);
        if (additional > 1 || !TryReadKey(packet, key, out int offset, out int keyLength) || offset + 4 > packet.Length)
        {
            return false;
        }

        var type = (RecordType)BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
        ushort @class = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
        if (@class is not (1 or 255)) // IN, ANY
        {
            return false;
        }

        int questionEnd = offset + 4;
        ushort payload = 0;
        byte version = 0;
        if (additional == 1)
        {
            // An OPT: the root name, type 41, then class = payload size and TTL = ext-rcode, version, flags.
            int at = questionEnd;
            if (at + 11 > packet.Length || packet[at] != 0 || BinaryPrimitives.ReadUInt16BigEndian(packet[(at + 1)..]) != OptType)
            {
                return false;
            }

            payload = BinaryPrimitives.ReadUInt16BigEndian(packet[(at + 3)..]);
            version = packet[at + 6];
            int dataLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(at + 9)..]);
            if (at + 11 + dataLength > packet.Length)
            {
                return false; // options cut short: malformed, which the general path answers
            }
        }

        query = new PlainQuery
        {
            Id = BinaryPrimitives.ReadUInt16BigEndian(packet),
            RecursionDesired = (packet[2] & 0x01) != 0,
            QuestionEnd = questionEnd,
            Type = type,
            KeyLength = keyLength,
            HasOpt = additional == 1,
            UdpPayload = payload,
            OptVersion = version,
        };
        return true;
    }

    /// <summary>The question's name as a key (<c>Web.Front</c> → <c>web.front.</c>); false for the root or anything not plain.</summary>
    private static bool TryReadKey(ReadOnlySpan<byte> packet, Span<char> key, out int offset, out int keyLength)
    {
        offset = QueryReader.HeaderLength;
        keyLength = 0;
        while (offset < packet.Length)
        {
            int length = packet[offset++];
            if (length == 0)
            {
                return keyLength > 0;
            }

            // A pointer (0xc0), an extended label, or a name past 255 bytes on the wire (the key
            // has one character per byte, less the first length byte, plus the root's zero).
            if (length > QueryReader.MaxLabelLength || keyLength + length + 2 > QueryReader.MaxNameLength || offset + length > packet.Length)
            {
                return false;
            }

            foreach (byte b in packet.Slice(offset, length))
            {
                if (b is <= 0x20 or >= 0x7f or (byte)'.' or (byte)'\\')
                {
                    return false; // spelled with escapes in text: the general path handles it
                }

                key[keyLength++] = (char)(b is >= (byte)'A' and <= (byte)'Z' ? b | 0x20 : b);
            }

            key[keyLength++] = '.';
            offset += length;
        }

        return false;
    }
}
