using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Backbone.Core;
using Microsoft.Win32.SafeHandles;

namespace Backbone.Store.Log;

/// <summary>
/// The durable command log of a single node: segment files named by their first index, each a
/// run of entries <c>[u32 length][u32 crc32c(index, payload)][u64 index][payload]</c>.
/// An append returns only after fdatasync, so an acknowledged command survives kill -9 and power
/// loss. A torn entry at the very end of the last segment (a write cut by a crash, never
/// acknowledged) is cut off at open; any other damage is a <see cref="StoreCorruptException"/>
/// naming the file and offset.
///
/// Threads: one writer at a time (whoever holds the command log's turn: its apply loop or a lone
/// writer's caller); <see cref="ReadFrom"/> only before appends start.
/// </summary>
public sealed class WriteAheadLog : IDisposable
{
    /// <summary>
    /// The largest payload an entry may carry: a command, which the engine refuses above etcd's
    /// request limit before proposing. A header claiming more is damage, never a torn write.
    /// </summary>
    public const int MaxPayloadBytes = StoreLimits.MaxRequestBytes;

    private const int HeaderBytes = 16;
    private const string Extension = ".wal";

    private readonly string dir;
    private readonly long segmentBytes;
    private readonly bool noSync;
    private readonly List<(long FirstIndex, string Path)> segments = [];
    private SafeFileHandle? active;
    private long activeLength;

    private WriteAheadLog(string dir, long segmentBytes, bool noSync)
    {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.noSync = noSync;
    }

    /// <summary>Index of the newest entry, 0 when the log has never held one.</summary>
    public long LastIndex { get; private set; }

    /// <summary>Index of the oldest entry still kept (LastIndex + 1 when empty).</summary>
    public long FirstIndex => segments.Count > 0 ? segments[0].FirstIndex : LastIndex + 1;

    /// <summary>What <see cref="Open"/> cut off the tail, if anything (for the start-up log).</summary>
    public string? TornTailNote { get; private set; }

    public static WriteAheadLog Open(string dir, long segmentBytes, bool noSync)
    {
        Directory.CreateDirectory(dir);
        WriteAheadLog log = new(dir, segmentBytes, noSync);
        log.LoadSegments();
        return log;
    }

    /// <summary>Streams the entries with index ≥ <paramref name="fromIndex"/>, in order.</summary>
    public IEnumerable<LogEntry> ReadFrom(long fromIndex)
    {
        for (int i = 0; i < segments.Count; i++)
        {
            bool hasNext = i + 1 < segments.Count;
            if (hasNext && segments[i + 1].FirstIndex <= fromIndex)
            {
                continue;
            }

            foreach (LogEntry entry in ReadSegment(segments[i].Path, segments[i].FirstIndex, isLast: !hasNext, out _))
            {
                if (entry.Index >= fromIndex)
                {
                    yield return entry;
                }
            }
        }
    }

    /// <summary>Appends entries (consecutive, starting at LastIndex + 1) and makes them durable.</summary>
    public void Append(IReadOnlyList<LogEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        if (active is null || activeLength >= segmentBytes)
        {
            Roll(entries[0].Index);
        }

        int total = 0;
        foreach (LogEntry entry in entries)
        {
            total += HeaderBytes + entry.Payload.Length;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            int offset = 0;
            long expected = LastIndex + 1;
            foreach (LogEntry entry in entries)
            {
                if (entry.Index != expected)
                {
                    throw new InvalidOperationException($"WAL append out of order: {entry.Index}, expected {expected}");
                }

                if (entry.Payload.Length > MaxPayloadBytes)
                {
                    throw new InvalidOperationException($"WAL entry {entry.Index} holds {entry.Payload.Length} bytes, above the {MaxPayloadBytes} a reader accepts");
                }

                expected++;
                offset += Encode(entry, buffer.AsSpan(offset));
            }

            RandomAccess.Write(active!, buffer.AsSpan(0, total), activeLength);
            if (!noSync)
            {
                FileSync.DataSync(active!);
            }

            activeLength += total;
            LastIndex = expected - 1;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Deletes whole segments whose entries are all below <paramref name="index"/> (held by a checkpoint).</summary>
    public void TruncateBefore(long index)
    {
        int removed = 0;
        while (segments.Count > 1 && segments[1].FirstIndex <= index)
        {
            File.Delete(segments[0].Path);
            segments.RemoveAt(0);
            removed++;
        }

        if (removed > 0 && !noSync)
        {
            FileSync.SyncDirectory(dir);
        }
    }

    public void Dispose() => active?.Dispose();

    private static int Encode(LogEntry entry, Span<byte> destination)
    {
        ReadOnlySpan<byte> payload = entry.Payload.Span;
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], entry.Index);
        payload.CopyTo(destination[HeaderBytes..]);
        uint crc = Crc32C.Compute(destination.Slice(8, 8 + payload.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], crc);
        return HeaderBytes + payload.Length;
    }

    private void LoadSegments()
    {
        foreach (string path in Directory.EnumerateFiles(dir, "*" + Extension).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (!long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long first))
            {
                throw new StoreCorruptException(path, "a WAL segment's name must be its first index (20 digits)");
            }

            segments.Add((first, path));
        }

        LastIndex = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            (long first, string path) = segments[i];
            if (i > 0 && first != LastIndex + 1)
            {
                throw new StoreCorruptException(path, $"WAL gap: this segment starts at index {first} but the previous one ends at {LastIndex}");
            }

            bool isLast = i == segments.Count - 1;
            List<LogEntry> entries = ReadSegment(path, first, isLast, out long validLength);
            LastIndex = entries.LastOrDefault(new LogEntry(first - 1, default)).Index;
            if (isLast)
            {
                long fileLength = new FileInfo(path).Length;
                if (validLength < fileLength)
                {
                    TornTailNote = $"{path}: cut {fileLength - validLength} bytes of an entry torn by a crash at offset {validLength} (it was never acknowledged)";
                    using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                    RandomAccess.SetLength(handle, validLength);
                }

                active = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                activeLength = validLength;
            }
        }
    }

    /// <summary>
    /// Reads one segment. <paramref name="validLength"/> is set once the enumeration completes:
    /// the offset after the last whole, checksummed entry.
    /// </summary>
    private static List<LogEntry> ReadSegment(string path, long firstIndex, bool isLast, out long validLength)
    {
        byte[] bytes = File.ReadAllBytes(path);
        List<LogEntry> entries = [];
        long offset = 0;
        long expected = firstIndex;
        while (offset < bytes.Length)
        {
            ReadOnlySpan<byte> rest = bytes.AsSpan((int)offset);
            bool headerWhole = rest.Length >= HeaderBytes;
            uint length = headerWhole ? BinaryPrimitives.ReadUInt32LittleEndian(rest) : 0;

            // A length no entry can have is a damaged header, not a write cut short: reading it as
            // torn would silently drop every acknowledged entry after it.
            bool lengthPlausible = length <= MaxPayloadBytes;
            bool entryWhole = headerWhole && lengthPlausible && (ulong)rest.Length >= HeaderBytes + (ulong)length;
            bool crcOk = entryWhole
                && BinaryPrimitives.ReadUInt32LittleEndian(rest[4..]) == Crc32C.Compute(rest.Slice(8, 8 + (int)length));
            if (!crcOk)
            {
                bool endsAtEof = !headerWhole || (lengthPlausible && (!entryWhole || offset + HeaderBytes + length == bytes.Length));
                if (isLast && endsAtEof)
                {
                    break; // a torn final write: the crash came before its fsync returned
                }

                string problem = !lengthPlausible ? $"corrupt (its header claims {length} bytes, above the {MaxPayloadBytes} an entry may hold)"
                    : entryWhole ? "corrupt (checksum mismatch)"
                    : "truncated";
                throw new StoreCorruptException(path, $"WAL entry at offset {offset} is {problem}; the log cannot be trusted past it");
            }

            long index = BinaryPrimitives.ReadInt64LittleEndian(rest[8..]);
            if (index != expected)
            {
                throw new StoreCorruptException(path, $"WAL entry at offset {offset} has index {index}, expected {expected}");
            }

            entries.Add(new LogEntry(index, bytes.AsMemory((int)offset + HeaderBytes, (int)length)));
            offset += HeaderBytes + length;
            expected++;
        }

        validLength = offset;
        return entries;
    }

    private void Roll(long firstIndex)
    {
        active?.Dispose();
        string path = Path.Combine(dir, firstIndex.ToString("D20", CultureInfo.InvariantCulture) + Extension);
        active = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
        activeLength = 0;
        segments.Add((firstIndex, path));
        if (!noSync)
        {
            FileSync.SyncDirectory(dir);
        }
    }
}
