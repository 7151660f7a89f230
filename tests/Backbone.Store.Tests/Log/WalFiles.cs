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
            offset += HeaderBytes + BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)offset));
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

    public static void CutTail(string path, long bytes)
    {
        using FileStream file = new(path, FileMode.Open, FileAccess.ReadWrite);
        file.SetLength(file.Length - bytes);
    }
}
