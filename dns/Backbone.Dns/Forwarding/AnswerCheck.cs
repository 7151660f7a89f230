using System.Buffers.Binary;
using Backbone.Dns.Server;

namespace Backbone.Dns.Forwarding;

/// <summary>
/// Whether an upstream's bytes may be handed to Makaretu at all: a response (QR) to our id, every
/// section inside the packet, every name (owners, and those inside CNAME, NS, PTR, DNAME, MX, SRV
/// and SOA data) within the wire limits and with pointers only backwards (<see cref="QueryReader"/>'s
/// rules), and a bounded record count. Makaretu's parser is quadratic on names of many labels and
/// cannot be interrupted, and whoever can reach our ephemeral port can send such bytes before the
/// id is even looked at; this walk is linear and runs first.
/// </summary>
internal static class AnswerCheck
{
    public const int MaxRecords = 1024;

    public static bool IsSafe(ReadOnlySpan<byte> packet, ushort expectedId)
    {
        if (packet.Length < QueryReader.HeaderLength
            || BinaryPrimitives.ReadUInt16BigEndian(packet) != expectedId
            || (packet[2] & 0x80) == 0)
        {
            return false;
        }

        int questions = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        int records = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) + BinaryPrimitives.ReadUInt16BigEndian(packet[8..]) + BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);
        if (questions != 1 || records > MaxRecords)
        {
            return false;
        }

        int offset = QueryReader.HeaderLength;
        if (!QueryReader.TryReadName(packet, ref offset, null) || (offset += 4) > packet.Length)
        {
            return false;
        }

        for (int i = 0; i < records; i++)
        {
            if (!QueryReader.TryReadName(packet, ref offset, null) || offset + 10 > packet.Length)
            {
                return false;
            }

            ushort type = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 8)..]);
            offset += 10;
            int end = offset + length;
            if (end > packet.Length || !DataNamesAreSafe(packet[..end], offset, type))
            {
                return false;
            }

            offset = end;
        }

        return true;
    }

    /// <summary>The names inside a record's data (only the types Makaretu reads names from).</summary>
    private static bool DataNamesAreSafe(ReadOnlySpan<byte> packet, int offset, ushort type)
    {
        switch (type)
        {
            case 2 or 5 or 12 or 39: // NS, CNAME, PTR, DNAME
                return QueryReader.TryReadName(packet, ref offset, null);
            case 15: // MX: preference, exchange
                offset += 2;
                return offset <= packet.Length && QueryReader.TryReadName(packet, ref offset, null);
            case 33: // SRV: priority, weight, port, target
                offset += 6;
                return offset <= packet.Length && QueryReader.TryReadName(packet, ref offset, null);
            case 6: // SOA: two names, then five numbers
                return QueryReader.TryReadName(packet, ref offset, null) && QueryReader.TryReadName(packet, ref offset, null) && offset + 20 <= packet.Length;
            default:
                return true;
        }
    }
}
