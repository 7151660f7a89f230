using System.Buffers.Binary;
using System.Text;
using Backbone.Store.Log;

namespace Backbone.Store.Tests.Log;

/// <summary>
/// The active segment is zero-filled ahead of its entries (WriteAheadLog.PreallocateBytes at a
/// time), and appends overwrite those zeros in place. These tests take the files of a log that is
/// still open, as kill -9 would, and shape them as power loss can: the tail reads as the end of
/// the log; the unfinished last append, any of its pages lost, is cut and reported; damage that
/// a later append follows is corruption.
/// </summary>
public sealed class WalZeroTailTests
{
    private const long BigSegments = 64L << 20;

    private static byte[] Payload(long index, int bytes = 40) =>
        Encoding.UTF8.GetBytes($"command #{index} ".PadRight(bytes, (char)('a' + (int)(index % 26))));

    private static long Append(WriteAheadLog wal, long from, long to, int bytes = 40)
    {
        long written = 0;
        for (long i = from; i <= to; i++)
        {
            byte[] payload = Payload(i, bytes);
            wal.Append([new LogEntry(i, payload)]);
            written += WalFiles.HeaderBytes + payload.Length;
        }

        return written;
    }

    private static void AssertEntries(WriteAheadLog wal, long to, int bytes = 40)
    {
        List<LogEntry> read = [.. wal.ReadFrom(1)];
        Assert.Equal(Enumerable.Range(1, (int)to).Select(i => (long)i), read.Select(e => e.Index));
        Assert.All(read, e => Assert.Equal(Payload(e.Index, bytes), e.Payload.ToArray()));
    }

    /// <summary>The segment files as a kill -9 would leave them: copied while the log is open.</summary>
    private static string CrashImage(string walDir, TempDir into)
    {
        foreach (string file in WalFiles.Segments(walDir))
        {
            File.Copy(file, Path.Combine(into.Path, Path.GetFileName(file)));
        }

        return Assert.Single(WalFiles.Segments(into.Path));
    }

    private static void WriteAt(string path, long offset, byte[] bytes)
    {
        using FileStream file = new(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        file.Write(bytes);
    }

    [Fact]
    public void TheActiveSegmentIsZeroFilledAheadOfItsEntries()
    {
        using TempDir dir = new();
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        long used = Append(wal, 1, 5);

        byte[] bytes = File.ReadAllBytes(Assert.Single(WalFiles.Segments(dir.Path)));
        Assert.Equal(WalFiles.HeaderBytes + Payload(1).Length + WriteAheadLog.PreallocateBytes, bytes.Length); // zeroed once, by the first append
        Assert.True(bytes.Length > used);
        Assert.DoesNotContain(bytes.AsSpan((int)used).ToArray(), b => b != 0);
    }

    [Fact]
    public void ACrashImageReadsItsZeroTailAsTheEndAndAppendsGoOn()
    {
        using TempDir dir = new();
        using TempDir crashed = new();
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        long used = Append(wal, 1, 20);
        string segment = CrashImage(dir.Path, crashed);

        using (WriteAheadLog reopened = WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true))
        {
            Assert.Null(reopened.TornTailNote); // zeros are room, not a torn write
            Assert.Equal(20, reopened.LastIndex);
            Assert.Equal(used, new FileInfo(segment).Length);
            AssertEntries(reopened, 20);
            Append(reopened, 21, 30);
        }

        using WriteAheadLog again = WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true);
        Assert.Equal(30, again.LastIndex);
        AssertEntries(again, 30);
    }

    [Fact]
    public void AppendsPastTheZeroedRoomExtendItAndSurviveACrash()
    {
        using TempDir dir = new();
        using TempDir crashed = new();
        const int Bytes = 20_000;
        int count = (3 * WriteAheadLog.PreallocateBytes / Bytes) + 7; // three extensions and a bit
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        long used = Append(wal, 1, count, Bytes);
        CrashImage(dir.Path, crashed);

        using WriteAheadLog reopened = WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true);
        Assert.Null(reopened.TornTailNote);
        Assert.Equal(count, reopened.LastIndex);
        AssertEntries(reopened, count, Bytes);
        Assert.True(new FileInfo(Path.Combine(dir.Path, Path.GetFileName(WalFiles.Segments(dir.Path)[0]))).Length > used);
    }

    [Theory]
    [InlineData(WalFiles.HeaderBytes + 3)] // header and part of the payload reached the disk
    [InlineData(4)] // only the length
    public void AnEntryTornIntoTheZeroTailIsCutAndReported(int writtenBytes)
    {
        using TempDir dir = new();
        using TempDir crashed = new();
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        long used = Append(wal, 1, 6);
        string segment = CrashImage(dir.Path, crashed);

        // Entry 7 as the log would write it, of which only the first bytes landed.
        using (TempDir scratch = new())
        using (WriteAheadLog other = WriteAheadLog.Open(scratch.Path, BigSegments, noSync: true))
        {
            Append(other, 1, 7);
            byte[] full = File.ReadAllBytes(Assert.Single(WalFiles.Segments(scratch.Path)));
            WriteAt(segment, used, full.AsSpan((int)used, writtenBytes).ToArray());
        }

        using WriteAheadLog reopened = WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true);
        Assert.Equal(6, reopened.LastIndex);
        Assert.NotNull(reopened.TornTailNote);
        Assert.Contains(segment, reopened.TornTailNote);
        Assert.Equal(used, new FileInfo(segment).Length);
        AssertEntries(reopened, 6);
    }

    /// <summary>
    /// A log whose entries 1-6 were appended one by one (acknowledged) and 7-30 then in one append
    /// of several pages (the one a crash interrupts): its crash image and where that append starts.
    /// </summary>
    private static (string Segment, long BatchStart, long BatchEnd) ImageWithABigLastAppend(TempDir dir, TempDir crashed)
    {
        const int Bytes = 400;
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        long batchStart = Append(wal, 1, 6, Bytes);
        List<LogEntry> batch = [.. Enumerable.Range(7, 24).Select(i => new LogEntry(i, Payload(i, Bytes)))];
        wal.Append(batch);
        long batchEnd = batchStart + batch.Sum(e => WalFiles.HeaderBytes + e.Payload.Length);
        Assert.True(batchEnd - batchStart > 2 * 4096, "the append spans several pages");
        return (CrashImage(dir.Path, crashed), batchStart, batchEnd);
    }

    /// <summary>
    /// Power loss lost the page where the append at <paramref name="appendStart"/> begins: from
    /// there to the page's end it holds what it held before the append, zeros.
    /// </summary>
    private static void LoseFirstPage(string segment, long appendStart) =>
        WriteAt(segment, appendStart, new byte[(appendStart / 4096 + 1) * 4096 - appendStart]);

    /// <summary>A segment of entries 1-5 as written before appends were flagged, alone in <paramref name="dir"/>.</summary>
    private static string UnflaggedSegment(TempDir dir)
    {
        string segment = Path.Combine(dir.Path, "00000000000000000001.wal");
        WalFiles.WriteUnflaggedSegment(segment, Enumerable.Range(1, 5).Select(i => ((long)i, Payload(i))));
        return segment;
    }

    [Fact]
    public void AppendsFlagTheirFirstEntry()
    {
        using TempDir dir = new();
        using TempDir crashed = new();
        (string segment, long batchStart, _) = ImageWithABigLastAppend(dir, crashed);
        List<long> offsets = WalFiles.EntryOffsets(segment);

        Assert.True(WalFiles.FirstOfAppend(segment, batchStart));
        Assert.All(offsets.Where(o => o < batchStart), o => Assert.True(WalFiles.FirstOfAppend(segment, o))); // one entry per append
        Assert.All(offsets.Where(o => o > batchStart), o => Assert.False(WalFiles.FirstOfAppend(segment, o)));
    }

    [Fact]
    public void AnAppendWhoseFirstPageWasLostIsCutAndReported()
    {
        // Power loss while the last append was in flight: its later pages reached the disk, the
        // first did not (that page still holds what it held before: entries 1-6, then zeros).
        using TempDir dir = new();
        using TempDir crashed = new();
        (string segment, long batchStart, long batchEnd) = ImageWithABigLastAppend(dir, crashed);
        LoseFirstPage(segment, batchStart);

        using (WriteAheadLog reopened = WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true))
        {
            Assert.Equal(6, reopened.LastIndex);
            Assert.NotNull(reopened.TornTailNote);
            Assert.Contains(segment, reopened.TornTailNote);
            Assert.Equal(batchStart, new FileInfo(segment).Length); // cut to the acknowledged entries
            AssertEntries(reopened, 6, 400);
            Append(reopened, 7, 9, 400); // the log goes on where the lost append began
        }

        using WriteAheadLog again = WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true);
        Assert.Null(again.TornTailNote);
        AssertEntries(again, 9, 400);
        Assert.True(batchEnd > batchStart);
    }

    [Fact]
    public void AnAppendWithAMiddlePageLostIsCutFromThatPage()
    {
        // The entries before the lost page are whole: they are kept (never acknowledged, but
        // whole, like any entry written before a crash), the rest of the append is cut.
        using TempDir dir = new();
        using TempDir crashed = new();
        (string segment, long batchStart, long batchEnd) = ImageWithABigLastAppend(dir, crashed);
        long lostPage = (batchStart / 4096 + 1) * 4096;
        WriteAt(segment, lostPage, new byte[4096]);
        int whole = WalFiles.EntryOffsets(segment).Count(o => o >= batchStart && o + WalFiles.HeaderBytes + 400 <= lostPage);

        using WriteAheadLog reopened = WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true);
        Assert.Equal(6 + whole, reopened.LastIndex);
        Assert.NotNull(reopened.TornTailNote);
        AssertEntries(reopened, 6 + whole, 400);
        Assert.True(batchEnd > lostPage + 4096);
    }

    [Theory]
    [InlineData(2)] // a copy of an earlier entry: not past the index expected at the damage
    [InlineData(1_000_000)] // past it by more entries than the bytes between could hold
    public void AFlaggedEntryNoLaterAppendCouldHoldDoesNotMakeATornAppendDamage(long index)
    {
        // A stored value may hold bytes that read as a whole flagged entry; inside the torn
        // append they must not pass for a later append.
        using TempDir dir = new();
        using TempDir crashed = new();
        (string segment, long batchStart, _) = ImageWithABigLastAppend(dir, crashed);
        LoseFirstPage(segment, batchStart);
        WriteAt(segment, (batchStart / 4096 + 1) * 4096 + 100, WalFiles.FlaggedEntry(index, Payload(index))); // in the next page, which landed

        using WriteAheadLog reopened = WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true);
        Assert.Equal(6, reopened.LastIndex);
        Assert.NotNull(reopened.TornTailNote);
        AssertEntries(reopened, 6, 400);
    }

    [Fact]
    public void TooManyEntryLikeHeadersAfterDamageAreRefusedInBoundedTime()
    {
        // Bytes shaped so that every 16 bytes a header claims a 1 MiB flagged entry with a
        // plausible index: checking each would mean checksumming terabytes before the start.
        using TempDir dir = new();
        using TempDir crashed = new();
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        long used = Append(wal, 1, 6);
        string segment = CrashImage(dir.Path, crashed);
        byte[] headers = new byte[4 << 20];
        for (int i = 0; i + WalFiles.HeaderBytes <= headers.Length; i += WalFiles.HeaderBytes)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(headers.AsSpan(i), (1u << 20) | 0x8000_0000);
            BinaryPrimitives.WriteUInt32LittleEndian(headers.AsSpan(i + 4), 0xDEAD_BEEF);
            BinaryPrimitives.WriteInt64LittleEndian(headers.AsSpan(i + 8), 8);
        }

        WriteAt(segment, used, headers);

        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true));
        Assert.Equal(segment, e.Path);
        Assert.Contains("too many entry-like headers", e.Message);
    }

    [Fact]
    public void DamageBeforeALaterAppendIsCorruption()
    {
        // Entry 3 lost its header, but entries of later appends follow it: it was acknowledged,
        // so cutting there would drop acknowledged writes.
        using TempDir dir = new();
        using TempDir crashed = new();
        (string segment, _, _) = ImageWithABigLastAppend(dir, crashed);
        long third = WalFiles.EntryOffsets(segment)[2];
        long before = new FileInfo(segment).Length;
        WriteAt(segment, third, new byte[WalFiles.HeaderBytes]);

        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true));
        Assert.Equal(segment, e.Path);
        Assert.Contains($"offset {third}", e.Message);
        Assert.Contains("a later append follows it", e.Message);
        Assert.Equal(before, new FileInfo(segment).Length); // nothing was cut
    }

    [Fact]
    public void DamageToTheFirstEntryOfAnAppendFollowedByAnotherIsCorruption()
    {
        // The big append was acknowledged: one more append came after it. Its first page lost
        // now can only be damage.
        using TempDir dir = new();
        using TempDir crashed = new();
        string segment;
        long batchStart;
        using (TempDir scratch = new())
        {
            (_, batchStart, long batchEnd) = ImageWithABigLastAppend(dir, scratch);
            using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
            Append(wal, 31, 31, 400);
            segment = CrashImage(dir.Path, crashed);
            Assert.True(new FileInfo(segment).Length > batchEnd);
        }

        LoseFirstPage(segment, batchStart);

        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true));
        Assert.Equal(segment, e.Path);
        Assert.Contains("a later append follows it", e.Message);
    }

    [Fact]
    public void ABytePastTheEntriesReadsAsAnUnfinishedAppend()
    {
        // Bytes after the last entry and no whole entry among them: the remains of an append a
        // crash cut short, its first page lost. Cut, reported, and the log goes on.
        using TempDir dir = new();
        using TempDir crashed = new();
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        long used = Append(wal, 1, 6);
        string segment = CrashImage(dir.Path, crashed);
        WriteAt(segment, used + 4096, [0x42]);

        using WriteAheadLog reopened = WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true);
        Assert.Equal(6, reopened.LastIndex);
        Assert.NotNull(reopened.TornTailNote);
        Assert.Equal(used, new FileInfo(segment).Length);
        AssertEntries(reopened, 6);
    }

    [Fact]
    public void ASegmentWrittenBeforeFlagsKeepsTheStrictRulesAndIsNotAppendedTo()
    {
        using TempDir dir = new();
        string segment = UnflaggedSegment(dir);

        // Read as it was written; the next append starts a new segment, so that the old one's
        // torn writes stay readable by the rules it was written under.
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            Assert.Null(wal.TornTailNote);
            AssertEntries(wal, 5);
            Append(wal, 6, 7);
        }

        string[] segments = WalFiles.Segments(dir.Path);
        Assert.Equal([segment, Path.Combine(dir.Path, "00000000000000000006.wal")], segments);
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            AssertEntries(wal, 7);
        }

        // Damage in its middle with no flagged entry after it is still corruption, not a torn write.
        using TempDir old = new();
        string alone = UnflaggedSegment(old);
        WalFiles.FlipByte(alone, WalFiles.EntryOffsets(alone)[2] + WalFiles.HeaderBytes + 1);
        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(old.Path, BigSegments, noSync: true));
        Assert.Equal(alone, e.Path);

        // So is damage to its first entry (the format is told by that entry's header word).
        using TempDir firstDamaged = new();
        string head = UnflaggedSegment(firstDamaged);
        WalFiles.FlipByte(head, WalFiles.HeaderBytes + 1);
        Assert.Equal(head, Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(firstDamaged.Path, BigSegments, noSync: true)).Path);

        // And its final entry cut short is torn, as before.
        using TempDir torn = new();
        string cut = UnflaggedSegment(torn);
        WalFiles.CutTail(cut, 3);
        using WriteAheadLog reopened = WriteAheadLog.Open(torn.Path, BigSegments, noSync: true);
        Assert.Equal(4, reopened.LastIndex);
        Assert.NotNull(reopened.TornTailNote);
    }

    [Fact]
    public void RollingCutsTheOlderSegmentToItsEntries()
    {
        using TempDir dir = new();
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, segmentBytes: 1, noSync: true);
        Append(wal, 1, 4); // a segment per entry

        string[] segments = WalFiles.Segments(dir.Path);
        Assert.Equal(4, segments.Length);
        foreach (string older in segments[..^1])
        {
            Assert.Equal(WalFiles.HeaderBytes + Payload(1).Length, new FileInfo(older).Length);
        }

        Assert.Equal(WalFiles.HeaderBytes + Payload(4).Length + WriteAheadLog.PreallocateBytes, new FileInfo(segments[^1]).Length);
    }

    [Fact]
    public void ACleanCloseLeavesNoZeroTail()
    {
        using TempDir dir = new();
        long used;
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            used = Append(wal, 1, 3);
        }

        Assert.Equal(used, new FileInfo(Assert.Single(WalFiles.Segments(dir.Path))).Length);
    }
}
