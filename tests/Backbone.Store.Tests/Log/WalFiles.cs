using System.Buffers.Binary;

namespace Backbone.Store.Tests.Log;

/// <summary>Reads and damages WAL segment files the way a crash or a bad disk would.</summary>
internal static class WalFiles
{
    /// <summary>Bytes before each payload: u32 length, u32 crc, u64 index.</summary>
    public const int HeaderBytes = 16;

    public static string[] Segments(string walDir) => [.. Directory.GetFiles(walDir, "*.wal").Order(StringComparer.Ordinal)];

    /// <summary>The offset of each entry in a segment, read from the length fields.</summary>
    public static List<long> EntryOffsets(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        List<long> offsets = [];
        long offset = 0;
        while (offset + HeaderBytes <= bytes.Length)
        {
            offsets.Add(offset);
            offset += HeaderBytes + (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)offset)) & 0x7FFF_FFFF); // without the first-of-append flag
        }

        return offsets;
    }

    public static void FlipByte(string path, long offset, byte mask = 0x5a)
    {
        using FileStream file = new(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        int b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ mask));
    }

    /// <summary>
    /// Writes a segment as the log wrote them before appends flagged their first entry: each
    /// entry <c>[u32 length][u32 crc32c(index, payload)][u64 index][payload]</c>, no flag anywhere.
    /// </summary>
    public static void WriteUnflaggedSegment(string path, IEnumerable<(long Index, byte[] Payload)> entries)
    {
        using FileStream file = new(path, FileMode.CreateNew, FileAccess.Write);
        foreach ((long index, byte[] payload) in entries)
        {
            byte[] entry = new byte[HeaderBytes + payload.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(entry, (uint)payload.Length);
            BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(8), index);
            payload.CopyTo(entry, HeaderBytes);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(4), Backbone.Store.Log.Crc32C.Compute(entry.AsSpan(8)));
            file.Write(entry);
        }
    }

    /// <summary>One whole entry flagged as the first of its append, as the log writes it.</summary>
    public static byte[] FlaggedEntry(long index, byte[] payload)
    {
        byte[] entry = new byte[HeaderBytes + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, (uint)payload.Length | 0x8000_0000);
        BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(8), index);
        payload.CopyTo(entry, HeaderBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(4), Backbone.Store.Log.Crc32C.Compute(entry.AsSpan(8)) ^ 0x8000_0000);
        return entry;
    }

    /// <summary>Whether the entry at <paramref name="offset"/> is flagged as the first of its append.</summary>
    public static bool FirstOfAppend(string path, long offset) => (File.ReadAllBytes(path)[offset + 3] & 0x80) != 0;

    public static void CutTail(string path, long bytes)
    {
        using FileStream file = new(path, FileMode.Open, FileAccess.ReadWrite);
        file.SetLength(file.Length - bytes);
    }
}
