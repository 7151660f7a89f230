using System.Buffers.Binary;
using System.Text;
using Makaretu.Dns;

namespace Backbone.Dns.Server;

/// <summary>
/// Reads a client's query with our own bounds-checked reader instead of Makaretu's
/// <c>Message.Read</c>, which is not safe on hostile bytes: it recurses once per label and copies
/// the rest of the name at every level, so one 64 KiB packet of one-byte labels costs it many
/// seconds of CPU on the listener's loop (quadratic) or its stack; it accepts labels longer than
/// 63 bytes and names longer than 255, which it then fails to write back; and it decodes labels
/// as UTF-8, so what it would forward is not what the client asked.
/// <para>
/// Kept: the header, the questions, and the OPT record's payload size, version and DO bit;
/// every other record is walked (its owner name checked, its data skipped within bounds) and
/// dropped, since the responder never reads them. Every loop here is bounded by the packet's
/// length: each step consumes bytes, or jumps strictly backwards.
/// </para>
/// </summary>
internal static class QueryReader
{
    public const int HeaderLength = 12;
    public const int MaxLabelLength = 63;

    /// <summary>The longest name on the wire, length bytes and the root's zero included (RFC 1035 3.1).</summary>
    public const int MaxNameLength = 255;

    /// <summary>
    /// Compression pointers followed in one name. Each must point lower than the last, so a walk
    /// always ends; this also keeps it short (a name has at most 127 labels, so no encoder needs
    /// more), or a packet of names that each point at the one before would cost quadratic time.
    /// </summary>
    public const int MaxPointerHops = 127;

    private const ushort OptType = 41;

    /// <summary>
    /// The query in <paramref name="packet"/>, or null when it is malformed: cut short, a label
    /// over 63 bytes or outside ASCII, a name over 255 bytes, a compression pointer that does not
    /// point strictly backwards (a loop, or past the end), an extended label type, or two OPT records.
    /// </summary>
    public static Message? Read(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < HeaderLength)
        {
            return null;
        }

        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        var query = new Message
        {
            Id = BinaryPrimitives.ReadUInt16BigEndian(packet),
            QR = (flags & 0x8000) != 0,
            Opcode = (MessageOperation)((flags >> 11) & 0xf),
            RD = (flags & 0x0100) != 0,
            CD = (flags & 0x0010) != 0,
        };
        int questions = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        int answers = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        int authority = BinaryPrimitives.ReadUInt16BigEndian(packet[8..]);
        int additional = BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);

        int offset = HeaderLength;
        var labels = new List<string>();
        for (int i = 0; i < questions; i++)
        {
            labels.Clear();
            if (!TryReadName(packet, ref offset, labels) || !TryRead(packet, ref offset, 4, out ReadOnlySpan<byte> typeAndClass))
            {
                return null;
            }

            query.Questions.Add(new Question
            {
                Name = new DomainName([.. labels]),
                Type = (DnsType)BinaryPrimitives.ReadUInt16BigEndian(typeAndClass),
                Class = (DnsClass)BinaryPrimitives.ReadUInt16BigEndian(typeAndClass[2..]),
            });
        }

        for (int i = 0; i < answers + authority + additional; i++)
        {
            if (!TryReadName(packet, ref offset, labels: null) || !TryRead(packet, ref offset, 10, out ReadOnlySpan<byte> fixedPart))
            {
                return null;
            }

            int dataLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[8..]);
            if (!TryRead(packet, ref offset, dataLength, out _))
            {
                return null;
            }

            bool inAdditional = i >= answers + authority;
            if (inAdditional && BinaryPrimitives.ReadUInt16BigEndian(fixedPart) == OptType)
            {
                if (query.AdditionalRecords.Count > 0)
                {
                    return null; // more than one OPT: FORMERR (RFC 6891 6.1.1)
                }

                // An OPT's class is the sender's UDP payload size; its TTL holds the extended
                // rcode, the version and the DO bit. Its options are not echoed, so not kept.
                uint ttl = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[4..]);
                query.AdditionalRecords.Add(new OPTRecord
                {
                    RequestorPayloadSize = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[2..]),
                    Version = (byte)(ttl >> 16),
                    DO = (ttl & 0x8000) != 0,
                });
            }
        }

        return query; // bytes after the last record are ignored, as most servers do
    }

    /// <summary>
    /// Reads the name at <paramref name="offset"/> (moving it past the name's bytes there) into
    /// <paramref name="labels"/> (null: check only). A compression pointer must point below every
    /// byte of this name read so far, so the walk always ends: each jump lowers that floor, and
    /// there are at most <see cref="MaxPointerHops"/> of them.
    /// </summary>
    internal static bool TryReadName(ReadOnlySpan<byte> packet, ref int offset, List<string>? labels)
    {
        int position = offset;
        int floor = offset;
        int nameLength = 1; // the root's zero byte
        int hops = 0;
        bool jumped = false;
        while (position < packet.Length)
        {
            int length = packet[position];
            switch (length & 0xc0)
            {
                case 0x00 when length == 0:
                    if (!jumped)
                    {
                        offset = position + 1;
                    }

                    return true;

                case 0x00:
                    nameLength += 1 + length;
                    if (nameLength > MaxNameLength || position + 1 + length > packet.Length)
                    {
                        return false;
                    }

                    ReadOnlySpan<byte> label = packet.Slice(position + 1, length);
                    if (label.ContainsAnyExceptInRange((byte)0x00, (byte)0x7f))
                    {
                        return false; // we could neither match it nor forward it byte for byte
                    }

                    labels?.Add(Encoding.ASCII.GetString(label));
                    position += 1 + length;
                    break;

                case 0xc0:
                    if (position + 1 >= packet.Length)
                    {
                        return false;
                    }

                    int target = ((length & 0x3f) << 8) | packet[position + 1];
                    if (target >= floor || target < HeaderLength || ++hops > MaxPointerHops)
                    {
                        return false; // forwards, onto itself, into a loop, into the header, or too long a chain
                    }

                    if (!jumped)
                    {
                        offset = position + 2;
                        jumped = true;
                    }

                    floor = target;
                    position = target;
                    break;

                default:
                    return false; // 01 and 10: extended and reserved label types (RFC 6891 5)
            }
        }

        return false;
    }

    private static bool TryRead(ReadOnlySpan<byte> packet, ref int offset, int count, out ReadOnlySpan<byte> read)
    {
        if (offset + count > packet.Length)
        {
            read = default;
            return false;
        }

        read = packet.Slice(offset, count);
        offset += count;
        return true;
    }
}
