using System.Buffers.Binary;

namespace Backbone.Dns.Tests.Server;

/// <summary>
/// Hostile packets from one seeded random source, so a run replays exactly: random bytes of
/// random length, and valid queries broken in the ways parsers get wrong (bit flips, truncation,
/// label lengths, odd names, compression pointers out of range or in loops, huge counts, odd OPT records).
/// </summary>
internal sealed class PacketMutator(Random random)
{
    public const int MaxRandomLength = 600;

    /// <summary>Label-length and pointer bytes that sit on the edges: root, 63/64, the two reserved types, pointers.</summary>
    private static readonly byte[] EdgeBytes = [0, 1, 2, 63, 64, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xff];

    private static readonly ushort[] EdgeCounts = [0, 1, 2, 3, 127, 255, 256, 0x7fff, 0xffff];

    private static readonly ushort[] EdgePayloads = [0, 1, 511, 512, 513, 1232, 4096, 0xffff];

    private readonly byte[][] templates =
    [
        Packets.Query(1, "web"),
        Packets.Query(2, "tasks.big", ednsPayload: 1232),
        Packets.Query(3, "_8080._tcp.web", type: 33, ednsPayload: 4096),
        Packets.Query(4, "5.1.0.10.in-addr.arpa", type: 12),
        Packets.Query(5, "db", type: 28),
        Packets.Query(6, "tasks.web", type: 255),
        Packets.Query(7, "www.example.com"),
        [.. Packets.Header(8, additional: 1), .. Packets.Name("web"), .. Packets.TypeAndClass(1), .. Packets.Opt(1232, [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])],
        [.. Packets.Header(9, answers: 1), .. Packets.Name("web"), .. Packets.TypeAndClass(1), 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0, 1, 2],
    ];

    /// <summary>The next packet: a random one with probability <paramref name="randomShare"/>, else a mutated valid query.</summary>
    public byte[] Next(double randomShare = 0.4) => random.NextDouble() < randomShare ? RandomBytes() : Mutated();

    /// <summary>
    /// What one TCP connection writes, starting with <paramref name="first"/>: framed properly,
    /// several pipelined, or with a length prefix that overstates or understates the message,
    /// a zero prefix, half a prefix, or random bytes.
    /// </summary>
    public byte[] TcpStream(byte[] first)
    {
        int roll = random.Next(100);
        return roll switch
        {
            < 40 => DnsClient.Frame(first),
            < 60 => [.. DnsClient.Frame(first), .. DnsClient.Frame(Next()), .. DnsClient.Frame(Next())],
            < 70 => [.. Prefix(first.Length + 1 + random.Next(2000)), .. first],
            < 80 => [.. Prefix(Math.Max(0, first.Length - 1 - random.Next(Math.Max(1, first.Length)))), .. first],
            < 85 => [0, 0, .. first],
            < 90 => [(byte)random.Next(256)],
            _ => RandomBytes(),
        };
    }

    public byte[] RandomBytes()
    {
        byte[] packet = new byte[random.Next(MaxRandomLength + 1)];
        random.NextBytes(packet);
        return packet;
    }

    public byte[] Mutated()
    {
        var packet = new List<byte>(templates[random.Next(templates.Length)]);
        BinaryPrimitives.WriteUInt16BigEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(packet), (ushort)random.Next(ushort.MaxValue + 1));
        int mutations = 1 + random.Next(3);
        for (int i = 0; i < mutations; i++)
        {
            Mutate(packet);
        }

        return [.. packet];
    }

    private void Mutate(List<byte> packet)
    {
        switch (random.Next(11))
        {
            case 0: FlipBits(packet); break;
            case 1: Truncate(packet); break;
            case 2: SetLabelByte(packet); break;
            case 3: PointAnywhere(packet); break;
            case 4: PointInALoop(packet); break;
            case 5: SetCount(packet); break;
            case 6: AppendOddOpt(packet); break;
            case 7: AppendGarbage(packet); break;
            case 8: SetFlags(packet); break;
            case 9: OddName(packet); break;
            default: RepeatQuestion(packet); break;
        }
    }

    private void FlipBits(List<byte> packet)
    {
        for (int flips = 1 + random.Next(8); flips > 0 && packet.Count > 0; flips--)
        {
            packet[random.Next(packet.Count)] ^= (byte)(1 << random.Next(8));
        }
    }

    private void Truncate(List<byte> packet)
    {
        int keep = random.Next(packet.Count);
        packet.RemoveRange(keep, packet.Count - keep);
    }

    private void SetLabelByte(List<byte> packet)
    {
        if (packet.Count > Packets.HeaderLength)
        {
            packet[random.Next(Packets.HeaderLength, packet.Count)] = random.Next(2) == 0 ? EdgeBytes[random.Next(EdgeBytes.Length)] : (byte)random.Next(256);
        }
    }

    /// <summary>A pointer at a random place to a random target: itself, past the end, into the header, or anywhere.</summary>
    private void PointAnywhere(List<byte> packet)
    {
        int at = random.Next(Packets.HeaderLength, Math.Max(Packets.HeaderLength + 1, packet.Count));
        int target = random.Next(5) switch
        {
            0 => at,
            1 => Math.Min(0x3fff, packet.Count + random.Next(1, 64)),
            2 => random.Next(Packets.HeaderLength),
            3 => 0x3fff,
            _ => random.Next(0x4000),
        };
        Put(packet, at, [(byte)(0xc0 | (target >> 8)), (byte)target]);
    }

    /// <summary>Two pointers to each other, or a label followed by a pointer back to it.</summary>
    private void PointInALoop(List<byte> packet)
    {
        int at = Packets.HeaderLength + random.Next(Math.Max(1, packet.Count - Packets.HeaderLength));
        if (random.Next(2) == 0)
        {
            Put(packet, at, [(byte)(0xc0 | ((at + 2) >> 8)), (byte)(at + 2), (byte)(0xc0 | (at >> 8)), (byte)at]);
        }
        else
        {
            Put(packet, at, [1, (byte)'x', (byte)(0xc0 | (at >> 8)), (byte)at]);
        }
    }

    private void SetCount(List<byte> packet)
    {
        if (packet.Count >= Packets.HeaderLength)
        {
            int field = 4 + (2 * random.Next(4));
            ushort count = random.Next(2) == 0 ? EdgeCounts[random.Next(EdgeCounts.Length)] : (ushort)random.Next(ushort.MaxValue + 1);
            packet[field] = (byte)(count >> 8);
            packet[field + 1] = (byte)count;
        }
    }

    /// <summary>An OPT whose stated length disagrees with its options, counted in the header.</summary>
    private void AppendOddOpt(List<byte> packet)
    {
        byte[] options = new byte[random.Next(21)];
        random.NextBytes(options);
        if (options.Length >= 4 && random.Next(2) == 0)
        {
            options[2] = 0xff; // an option claiming more bytes than there are
        }

        packet.AddRange(Packets.Opt(EdgePayloads[random.Next(EdgePayloads.Length)], options, rdLength: random.Next(41)));
        if (packet.Count >= Packets.HeaderLength)
        {
            packet[11] = (byte)(packet[11] + 1);
        }
    }

    private void AppendGarbage(List<byte> packet)
    {
        byte[] garbage = new byte[random.Next(1, 64)];
        random.NextBytes(garbage);
        packet.AddRange(garbage);
    }

    /// <summary>QR, an opcode, TC, Z or an rcode where a query has none.</summary>
    private void SetFlags(List<byte> packet)
    {
        if (packet.Count >= 4)
        {
            packet[2] = (byte)random.Next(256);
            packet[3] = (byte)random.Next(256);
        }
    }

    /// <summary>
    /// The first question's name replaced by one a lax parser takes and then cannot write back
    /// or match: a label of 64-191 bytes (a length byte with the reserved type bits), a label
    /// outside ASCII, a name over 255 bytes, or up to 290 one-byte labels.
    /// </summary>
    private void OddName(List<byte> packet)
    {
        int end = Packets.HeaderLength;
        while (end < packet.Count && packet[end] != 0 && packet[end] < 0x40)
        {
            end += 1 + packet[end];
        }

        if (end >= packet.Count)
        {
            return; // no whole first name to replace
        }

        var name = new List<byte>();
        switch (random.Next(4))
        {
            case 0:
                int length = random.Next(64, 192);
                name.Add((byte)length);
                name.AddRange(Enumerable.Repeat((byte)'a', length));
                break;
            case 1:
                byte[] label = new byte[random.Next(1, 64)];
                random.NextBytes(label);
                label[0] |= 0x80;
                name.Add((byte)label.Length);
                name.AddRange(label);
                break;
            case 2:
                for (int i = 0; i < 5; i++)
                {
                    name.Add(55);
                    name.AddRange(Enumerable.Repeat((byte)'b', 55));
                }

                break;
            default:
                for (int labels = random.Next(100, 291); labels > 0; labels--)
                {
                    name.AddRange([1, (byte)'c']);
                }

                break;
        }

        name.Add(0);
        packet.RemoveRange(Packets.HeaderLength, end + 1 - Packets.HeaderLength);
        packet.InsertRange(Packets.HeaderLength, name);
    }

    /// <summary>The question again (a second question, compressed or not), with the count to match.</summary>
    private void RepeatQuestion(List<byte> packet)
    {
        if (packet.Count >= Packets.HeaderLength + 5)
        {
            packet.AddRange(random.Next(2) == 0 ? [0xc0, 12, 0, 1, 0, 1] : [.. Packets.Name("db"), 0, 1, 0, 1]);
            packet[5] = (byte)(packet[5] + 1);
        }
    }

    private static byte[] Prefix(int length) => [(byte)(length >> 8), (byte)length];

    /// <summary>Writes <paramref name="bytes"/> at <paramref name="at"/>, over what is there and past the end as needed.</summary>
    private static void Put(List<byte> packet, int at, byte[] bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            if (at + i < packet.Count)
            {
                packet[at + i] = bytes[i];
            }
            else
            {
                packet.Add(bytes[i]);
            }
        }
    }
}
