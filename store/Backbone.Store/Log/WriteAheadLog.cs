using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Backbone.Core;
using Microsoft.Win32.SafeHandles;

namespace Backbone.Store.Log;

/// <summary>
/// The durable command log of a single node: segment files named by their first index, each a
/// run of entries <c>[u32 length | first-of-append flag][u32 crc32c(index, payload)][u64 index][payload]</c>.
/// An append returns only after fdatasync, so an acknowledged command survives kill -9 and power
/// loss.
///
/// The active segment is kept zero-filled ahead of its last entry (<see cref="PreallocateBytes"/>
/// at a time), so that most appends overwrite blocks the file already has: their fdatasync then
/// flushes data alone, with no change of file size for ext4's journal to commit. A segment is cut
/// back to its entries when it is rolled or closed, so only the last one ends in zeros.
///
/// Torn writes. Overwriting in place, a power loss can land the pages of the one unfinished
/// append in any order: its first page lost and a later one written reads as damage followed by
/// data. Every append therefore flags its first entry (the top bit of the length word, also
/// folded into the checksum). At open, damage in the last segment followed by nothing but zeros,
/// or by bytes among which no whole, flagged entry starts, is that unfinished append: cut off
/// and reported (it was never acknowledged). A whole flagged entry after the damage is a later
/// append, so the damage is in acknowledged data: a <see cref="StoreCorruptException"/> naming
/// the file and offset, as is any damage in an earlier segment. What no reader can tell apart:
/// damage to the last acknowledged append itself reads as a torn one; and a torn append whose
/// stored values happen to hold a whole WAL entry with a plausible index reads as damage (the
/// node refuses to start, naming the file, rather than guess). Segments written before the flag
/// existed keep the older rules (only their last entry may be torn) and are not appended to.
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

    /// <summary>How far ahead of its entries the active segment is zero-filled, in one extending write.</summary>
    public const int PreallocateBytes = 1 << 20;

    private const int HeaderBytes = 16;

    /// <summary>How many payload bytes the torn-append scan at open checksums at most before it gives up.</summary>
    private const long MaxTornScanBytes = 1L << 30;

    /// <summary>The length word's top bit: this entry is the first of its append (a length never reaches it).</summary>
    private const uint FirstOfAppend = 0x8000_0000;
    private const string Extension = ".wal";
    private static readonly byte[] Zeros = new byte[64 << 10];

    private readonly string dir;
    private readonly long segmentBytes;
    private readonly bool noSync;
    private readonly List<(long FirstIndex, string Path)> segments = [];
    private SafeFileHandle? active;
    private long activeLength;
    private long allocatedLength; // the active segment's file length: zeros from activeLength on
    private bool activeUnflagged; // the active segment was written before appends were flagged: appends go to a new one

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

            foreach (LogEntry entry in ReadSegment(segments[i].Path, segments[i].FirstIndex, isLast: !hasNext, out _, out _, out _))
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

        if (active is null || activeLength >= segmentBytes || activeUnflagged)
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

                offset += Encode(entry, firstOfAppend: expected == entries[0].Index, buffer.AsSpan(offset));
                expected++;
            }

            RandomAccess.Write(active!, buffer.AsSpan(0, total), activeLength);
            if (activeLength + total > allocatedLength)
            {
                // Zeros past the new entries, synced with them: the next appends overwrite them.
                allocatedLength = WriteZeros(active!, activeLength + total, PreallocateBytes);
            }

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

    /// <summary>Cuts the active segment's zero tail (a reader would skip it anyway) and closes it.</summary>
    public void Dispose()
    {
        if (active is not null && allocatedLength > activeLength)
        {
            RandomAccess.SetLength(active, activeLength);
        }

        active?.Dispose();
    }

    /// <summary>Writes <paramref name="count"/> zero bytes at <paramref name="offset"/>; returns the end.</summary>
    private static long WriteZeros(SafeFileHandle handle, long offset, int count)
    {
        for (int done = 0; done < count; done += Zeros.Length)
        {
            RandomAccess.Write(handle, Zeros.AsSpan(0, Math.Min(Zeros.Length, count - done)), offset + done);
        }

        return offset + count;
    }

    private static int Encode(LogEntry entry, bool firstOfAppend, Span<byte> destination)
    {
        ReadOnlySpan<byte> payload = entry.Payload.Span;
        uint flag = firstOfAppend ? FirstOfAppend : 0;
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)payload.Length | flag);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], entry.Index);
        payload.CopyTo(destination[HeaderBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Checksum(destination, payload.Length, flag));
        return HeaderBytes + payload.Length;
    }

    /// <summary>
    /// The checksum of the entry at the start of <paramref name="entry"/>: over its index and
    /// payload, with the flag folded in so that a flipped flag bit is damage too (entries without
    /// it, as every entry written before the flag existed, keep the plain checksum).
    /// </summary>
    private static uint Checksum(ReadOnlySpan<byte> entry, int length, uint flag) =>
        Crc32C.Compute(entry.Slice(8, 8 + length)) ^ flag;

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
            List<LogEntry> entries = ReadSegment(path, first, isLast, out long validLength, out long tornBytes, out bool? flagged);
            LastIndex = entries.LastOrDefault(new LogEntry(first - 1, default)).Index;
            if (isLast)
            {
                long fileLength = new FileInfo(path).Length;
                if (tornBytes > 0)
                {
                    TornTailNote = $"{path}: cut the remains of an append torn by a crash at offset {validLength} "
                        + $"({tornBytes} bytes; no later append follows them, so it was never acknowledged)";
                }

                active = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                if (validLength < fileLength)
                {
                    RandomAccess.SetLength(active, validLength); // the torn append and the zero tail: appends extend it again
                }

                // Durably, cut or not (a clean close cuts without a sync): a segment rolled later
                // is no longer the last, and must not come back from a power loss with a tail.
                if (!noSync)
                {
                    FileSync.FullSync(active);
                }

                activeLength = validLength;
                allocatedLength = validLength;

                // Its torn writes can only be read by the older rules, which zero-filled
                // overwrites would break: the next append starts a new segment.
                activeUnflagged = flagged == false;
            }
        }
    }

    /// <summary>
    /// Reads one segment. <paramref name="validLength"/> is the offset after the last whole,
    /// checksummed entry; <paramref name="tornBytes"/>, how many bytes after it were not zero
    /// (the unfinished append of a crash, cut at open); <paramref name="flagged"/>, whether its
    /// appends flag their first entries (null when it holds no whole entry).
    /// </summary>
    private static List<LogEntry> ReadSegment(string path, long firstIndex, bool isLast, out long validLength, out long tornBytes, out bool? flagged)
    {
        byte[] bytes = File.ReadAllBytes(path);
        List<LogEntry> entries = [];
        long offset = 0;
        long expected = firstIndex;
        flagged = null;
        while (offset < bytes.Length)
        {
            if (!TryReadEntry(bytes, offset, out uint length, out bool first, out string problem))
            {
                // No whole entry yet: a segment's first entry is always flagged, so a header
                // word with the flag, or a lost (zero) one, is the flagged format.
                bool flaggedFormat = flagged ?? (bytes.Length - offset < 4 || (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)offset)) is 0 or >= FirstOfAppend));
                if (isLast && EndsWithUnfinishedAppend(path, bytes, offset, expected, flaggedFormat))
                {
                    break; // the zero tail, or a torn final append: the crash came before its fsync returned
                }

                string after = isLast && flaggedFormat ? ", and a later append follows it (not a write a crash cut short)" : "";
                throw new StoreCorruptException(path, $"WAL entry at offset {offset} is {problem}{after}; the log cannot be trusted past it");
            }

            long index = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)offset + 8));
            if (index != expected)
            {
                throw new StoreCorruptException(path, $"WAL entry at offset {offset} has index {index}, expected {expected}");
            }

            flagged ??= first;
            entries.Add(new LogEntry(index, bytes.AsMemory((int)offset + HeaderBytes, (int)length)));
            offset += HeaderBytes + length;
            expected++;
        }

        validLength = offset;
        tornBytes = 0;
        if (offset < bytes.Length)
        {
            int lastNonZero = bytes.AsSpan((int)offset).LastIndexOfAnyExcept((byte)0);
            tornBytes = lastNonZero + 1; // 0 when only the zero tail is left
        }

        return entries;
    }

    /// <summary>Whether a whole entry with a matching checksum starts at <paramref name="offset"/>; if not, what is wrong.</summary>
    private static bool TryReadEntry(byte[] bytes, long offset, out uint length, out bool firstOfAppend, out string problem)
    {
        ReadOnlySpan<byte> rest = bytes.AsSpan((int)offset);
        length = 0;
        firstOfAppend = false;
        if (rest.Length < HeaderBytes)
        {
            problem = "truncated";
            return false;
        }

        uint word = BinaryPrimitives.ReadUInt32LittleEndian(rest);
        uint flag = word & FirstOfAppend;
        length = word & ~FirstOfAppend;
        firstOfAppend = flag != 0;

        // A length no entry can have is a damaged header, never a valid entry.
        if (length > MaxPayloadBytes)
        {
            problem = $"corrupt (its header claims {length} bytes, above the {MaxPayloadBytes} an entry may hold)";
            return false;
        }

        if ((ulong)rest.Length < HeaderBytes + (ulong)length)
        {
            problem = "truncated";
            return false;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(rest[4..]) != Checksum(rest, (int)length, flag))
        {
            problem = "corrupt (checksum mismatch)";
            return false;
        }

        problem = "";
        return true;
    }

    /// <summary>
    /// Whether the bytes of the last segment from <paramref name="offset"/> on, where the entry
    /// <paramref name="expected"/> should start but none does, are the end of the log: zeros (the
    /// preallocated tail), or the remains of the one append a crash cut short.
    /// </summary>
    private static bool EndsWithUnfinishedAppend(string path, byte[] bytes, long offset, long expected, bool flaggedFormat)
    {
        if (!bytes.AsSpan((int)offset).ContainsAnyExcept((byte)0))
        {
            return true;
        }

        if (!flaggedFormat)
        {
            // Written before appends were flagged, which only ever appended past the end: a
            // torn write is the file's last bytes, an entry that does not fit in the file.
            // (The entry here is not whole and checksummed, or the caller would not ask.)
            long left = bytes.Length - offset;
            uint length = left < HeaderBytes ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)offset));
            return left < HeaderBytes || (length <= MaxPayloadBytes && left <= HeaderBytes + length);
        }

        // The unfinished append began at or before this offset, and no append began after it. So
        // a whole entry that starts a later append proves the damage is in acknowledged data:
        // flagged, and with an index past the one expected here but no further than the bytes
        // between allow (every entry takes at least a header), which also keeps a stored value
        // that happens to hold such an entry from passing for one.
        long checkedBytes = 0;
        for (long p = offset + 1; p + HeaderBytes <= bytes.Length; p++)
        {
            if ((bytes[p + 3] & 0x80) == 0)
            {
                continue;
            }

            long index = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)p + 8));
            if (index <= expected || index - expected > (p - offset) / HeaderBytes)
            {
                continue;
            }

            uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)p)) & ~FirstOfAppend;
            if (length > MaxPayloadBytes || p + HeaderBytes + length > bytes.Length)
            {
                continue;
            }

            // Bounded work: candidates crafted to pass the checks above each cost a checksum.
            checkedBytes += length;
            if (checkedBytes > MaxTornScanBytes)
            {
                throw new StoreCorruptException(path, $"WAL entry at offset {offset} is damaged, and the bytes after it hold too many entry-like headers to tell a torn final append from damage before a later one");
            }

            if (TryReadEntry(bytes, p, out _, out _, out _))
            {
                return false;
            }
        }

        return true;
    }

    private void Roll(long firstIndex)
    {
        if (active is not null && allocatedLength > activeLength)
        {
            // Cut the zero tail before the next segment exists, durably: only the last segment
            // may end in zeros, so damage at the end of an older one is never taken for a tail.
            RandomAccess.SetLength(active, activeLength);
            if (!noSync)
            {
                FileSync.FullSync(active);
            }
        }

        active?.Dispose();
        string path = Path.Combine(dir, firstIndex.ToString("D20", CultureInfo.InvariantCulture) + Extension);
        active = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
        activeLength = 0;
        allocatedLength = 0;
        activeUnflagged = false;
        segments.Add((firstIndex, path));
        if (!noSync)
        {
            FileSync.SyncDirectory(dir);
        }
    }
}
