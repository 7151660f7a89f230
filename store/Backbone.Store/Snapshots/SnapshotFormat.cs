using System.Buffers.Binary;
using Backbone.Store.Log;

namespace Backbone.Store.Snapshots;

/// <summary>
/// A whole store as one stream, for a member that is too far behind to catch up from the log.
/// Layout: <c>"BBSNAP01"</c>, then per record <c>[u32 key length][u32 value length][key][value]</c>
/// (FASTER's own keys and values: revision, lease and meta records), then <c>[u32 0xFFFFFFFF]</c>
/// and the crc32c of everything before it. A receiver checks the whole stream before it
/// replaces anything (<see cref="Read"/>), so a damaged transfer changes nothing.
/// </summary>
public static class SnapshotFormat
{
    private static readonly byte[] Magic = "BBSNAP01"u8.ToArray();
    private const uint EndMarker = uint.MaxValue;
    private const int MaxKeyBytes = 64 * 1024;
    private const int MaxValueBytes = 64 * 1024 * 1024;

    public static void Write(Stream output, IEnumerable<(byte[] Key, byte[] Value)> records)
    {
        uint crc = 0;
        void Put(ReadOnlySpan<byte> bytes)
        {
            crc = Crc32C.Compute(bytes, crc);
            output.Write(bytes);
        }

        Span<byte> header = stackalloc byte[8];
        Put(Magic);
        foreach ((byte[] key, byte[] value) in records)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)key.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)value.Length);
            Put(header);
            Put(key);
            Put(value);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(header, EndMarker);
        Put(header[..4]);
        BinaryPrimitives.WriteUInt32LittleEndian(header, crc);
        output.Write(header[..4]);
    }

    /// <summary>Checks a complete snapshot (framing and checksum) without keeping it; throws <see cref="InvalidDataException"/> naming the problem.</summary>
    public static void Verify(Stream input)
    {
        foreach (var _ in Read(input))
        {
        }
    }

    /// <summary>
    /// Reads the records. The checksum is checked at the end, so callers that must not act on a
    /// damaged stream run <see cref="Verify"/> over it first.
    /// </summary>
    public static IEnumerable<(byte[] Key, byte[] Value)> Read(Stream input)
    {
        uint crc = 0;
        byte[] magic = ReadExactly(input, Magic.Length, ref crc, "the header");
        if (!magic.AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a Backbone snapshot (bad header)");
        }

        while (true)
        {
            byte[] lengths = ReadExactly(input, 4, ref crc, "a record header");
            uint keyLength = BinaryPrimitives.ReadUInt32LittleEndian(lengths);
            if (keyLength == EndMarker)
            {
                break;
            }

            byte[] rest = ReadExactly(input, 4, ref crc, "a record header");
            uint valueLength = BinaryPrimitives.ReadUInt32LittleEndian(rest);
            if (keyLength is 0 or > MaxKeyBytes || valueLength > MaxValueBytes)
            {
                throw new InvalidDataException($"snapshot record claims a {keyLength}-byte key and a {valueLength}-byte value");
            }

            byte[] key = ReadExactly(input, (int)keyLength, ref crc, "a key");
            byte[] value = ReadExactly(input, (int)valueLength, ref crc, "a value");
            yield return (key, value);
        }

        uint expected = crc;
        byte[] trailer = new byte[4];
        input.ReadExactly(trailer);
        if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != expected)
        {
            throw new InvalidDataException("snapshot checksum mismatch: the transfer was damaged");
        }
    }

    private static byte[] ReadExactly(Stream input, int count, ref uint crc, string what)
    {
        byte[] bytes = new byte[count];
        try
        {
            input.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"snapshot cut short while reading {what}");
        }

        crc = Crc32C.Compute(bytes, crc);
        return bytes;
    }
}
