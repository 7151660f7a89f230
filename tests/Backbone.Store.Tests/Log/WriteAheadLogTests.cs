using System.Text;
using Backbone.Store.Log;

namespace Backbone.Store.Tests.Log;

public sealed class WriteAheadLogTests
{
    private const long BigSegments = 1L << 20;

    private static byte[] Payload(long index) => Encoding.UTF8.GetBytes($"command #{index} " + new string('x', (int)(index % 7) * 5));

    private static void AppendRange(WriteAheadLog wal, long from, long to, int perBatch = 1)
    {
        for (long first = from; first <= to; first += perBatch)
        {
            List<LogEntry> batch = [];
            for (long i = first; i < first + perBatch && i <= to; i++)
            {
                batch.Add(new LogEntry(i, Payload(i)));
            }

            wal.Append(batch);
        }
    }

    private static void AssertEntries(WriteAheadLog wal, long from, long to)
    {
        List<LogEntry> read = [.. wal.ReadFrom(from)];
        Assert.Equal(Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => (long)i), read.Select(e => e.Index));
        foreach (LogEntry entry in read)
        {
            Assert.Equal(Payload(entry.Index), entry.Payload.ToArray());
        }
    }

    [Fact]
    public void AnEmptyLog()
    {
        using TempDir dir = new();
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);

        Assert.Equal(0, wal.LastIndex);
        Assert.Equal(1, wal.FirstIndex);
        Assert.Empty(wal.ReadFrom(1));
        Assert.Null(wal.TornTailNote);
    }

    [Fact]
    public void AppendReopenAndReadBack()
    {
        using TempDir dir = new();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: false))
        {
            AppendRange(wal, 1, 10, perBatch: 3);
            wal.Append([]);
            Assert.Equal(10, wal.LastIndex);
        }

        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: false))
        {
            Assert.Equal(10, wal.LastIndex);
            Assert.Equal(1, wal.FirstIndex);
            Assert.Null(wal.TornTailNote);
            AssertEntries(wal, 1, 10);
            AssertEntries(wal, 7, 10);
            Assert.Empty(wal.ReadFrom(11));

            AppendRange(wal, 11, 12);
        }

        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: false))
        {
            Assert.Equal(12, wal.LastIndex);
            AssertEntries(wal, 1, 12);
        }
    }

    [Fact]
    public void AppendsMustContinueTheLog()
    {
        using TempDir dir = new();
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        AppendRange(wal, 1, 3);

        Assert.Throws<InvalidOperationException>(() => wal.Append([new LogEntry(5, Payload(5))]));
        Assert.Throws<InvalidOperationException>(() => wal.Append([new LogEntry(3, Payload(3))]));
        Assert.Throws<InvalidOperationException>(() => wal.Append([new LogEntry(4, Payload(4)), new LogEntry(6, Payload(6))]));
        Assert.Equal(3, wal.LastIndex);
        AppendRange(wal, 4, 4);
        AssertEntries(wal, 1, 4);
    }

    [Fact]
    public void AnEntryAboveTheMaximumIsRefusedBeforeAnythingIsWritten()
    {
        using TempDir dir = new();
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        AppendRange(wal, 1, 1);

        Assert.Throws<InvalidOperationException>(() => wal.Append([new LogEntry(2, Payload(2)), new LogEntry(3, new byte[WriteAheadLog.MaxPayloadBytes + 1])]));

        Assert.Equal(1, wal.LastIndex);
        wal.Append([new LogEntry(2, new byte[WriteAheadLog.MaxPayloadBytes])]);
        Assert.Equal(2, wal.LastIndex);
    }

    [Fact]
    public void AnEmptyPayloadIsAnEntry()
    {
        using TempDir dir = new();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            wal.Append([new LogEntry(1, ReadOnlyMemory<byte>.Empty), new LogEntry(2, new byte[] { 7 })]);
        }

        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            LogEntry[] read = [.. wal.ReadFrom(1)];
            Assert.Equal(2, read.Length);
            Assert.True(read[0].Payload.IsEmpty);
            Assert.Equal([7], read[1].Payload.ToArray());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(WalFiles.HeaderBytes + 2)]
    public void ATornFinalEntryIsCutOffAndReported(int cutBytes)
    {
        using TempDir dir = new();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            AppendRange(wal, 1, 8, perBatch: 2);
        }

        string segment = Assert.Single(WalFiles.Segments(dir.Path));
        long lastOffset = WalFiles.EntryOffsets(segment)[^1];
        WalFiles.CutTail(segment, cutBytes);

        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            Assert.Equal(7, wal.LastIndex);
            Assert.NotNull(wal.TornTailNote);
            Assert.Contains(segment, wal.TornTailNote);
            Assert.Equal(lastOffset, new FileInfo(segment).Length); // cut back to the last whole entry
            AssertEntries(wal, 1, 7);

            AppendRange(wal, 8, 9); // the log continues where the torn entry was
        }

        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            Assert.Null(wal.TornTailNote);
            Assert.Equal(9, wal.LastIndex);
            AssertEntries(wal, 1, 9);
        }
    }

    [Fact]
    public void ANewSegmentWhoseOnlyEntryIsTornIsEmptiedAndReused()
    {
        using TempDir dir = new();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, segmentBytes: 1, noSync: true))
        {
            AppendRange(wal, 1, 6);
        }

        string last = WalFiles.Segments(dir.Path)[^1];
        Assert.Single(WalFiles.EntryOffsets(last));
        long lastFirst = long.Parse(Path.GetFileNameWithoutExtension(last), System.Globalization.CultureInfo.InvariantCulture);
        WalFiles.CutTail(last, new FileInfo(last).Length - 5);

        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, 1, noSync: true))
        {
            Assert.Equal(lastFirst - 1, wal.LastIndex);
            Assert.NotNull(wal.TornTailNote);
            Assert.Equal(0, new FileInfo(last).Length);
            AppendRange(wal, lastFirst, lastFirst + 2);
        }

        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, 1, noSync: true))
        {
            Assert.Null(wal.TornTailNote);
            Assert.Equal(lastFirst + 2, wal.LastIndex);
            AssertEntries(wal, 1, lastFirst + 2);
        }
    }

    [Fact]
    public void ASegmentWhoseNameDisagreesWithItsEntriesIsCorruption()
    {
        using TempDir dir = new();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            AppendRange(wal, 1, 3);
        }

        string segment = Assert.Single(WalFiles.Segments(dir.Path));
        string renamed = Path.Combine(dir.Path, "00000000000000000002.wal");
        File.Move(segment, renamed);

        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(dir.Path, BigSegments, noSync: true));
        Assert.Equal(renamed, e.Path);
    }

    [Fact]
    public void AFinalEntryWithABadChecksumIsTornToo()
    {
        // A write cut by power loss may leave the whole length on disk but not every sector of it.
        using TempDir dir = new();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            AppendRange(wal, 1, 4);
        }

        string segment = Assert.Single(WalFiles.Segments(dir.Path));
        WalFiles.FlipByte(segment, WalFiles.EntryOffsets(segment)[^1] + WalFiles.HeaderBytes + 1);

        using WriteAheadLog reopened = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        Assert.Equal(3, reopened.LastIndex);
        Assert.NotNull(reopened.TornTailNote);
        AssertEntries(reopened, 1, 3);
    }

    public static TheoryData<string, int> MidSegmentDamage => new()
    {
        { "payload byte", WalFiles.HeaderBytes + 2 },
        { "checksum byte", 5 },
        { "index byte", 8 },
        { "low length byte", 0 },
        { "high length byte", 3 },
    };

    [Theory]
    [MemberData(nameof(MidSegmentDamage))]
    public void DamageFollowedByMoreEntriesIsCorruption(string what, int offsetInEntry)
    {
        using TempDir dir = new();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true))
        {
            AppendRange(wal, 1, 10);
        }

        string segment = Assert.Single(WalFiles.Segments(dir.Path));
        long before = new FileInfo(segment).Length;
        WalFiles.FlipByte(segment, WalFiles.EntryOffsets(segment)[4] + offsetInEntry, mask: 0x80);

        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(dir.Path, BigSegments, noSync: true));

        Assert.True(segment == e.Path, what);
        Assert.Contains(segment, e.Message);
        Assert.Equal(before, new FileInfo(segment).Length); // nothing was cut
    }

    [Fact]
    public void DamageAtTheEndOfAnOlderSegmentIsCorruption()
    {
        using TempDir dir = new();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, segmentBytes: 64, noSync: true))
        {
            AppendRange(wal, 1, 6);
        }

        string[] segments = WalFiles.Segments(dir.Path);
        Assert.True(segments.Length > 2);
        WalFiles.CutTail(segments[0], 3);

        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(dir.Path, 64, noSync: true));
        Assert.Equal(segments[0], e.Path);
    }

    [Fact]
    public void SegmentsRollPastTheirSizeAndAreNamedByTheirFirstIndex()
    {
        using TempDir dir = new();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, segmentBytes: 100, noSync: false))
        {
            AppendRange(wal, 1, 20);
            AppendRange(wal, 21, 30, perBatch: 5);
        }

        string[] segments = WalFiles.Segments(dir.Path);
        Assert.True(segments.Length >= 5, $"expected several segments, got {segments.Length}");
        Assert.Equal("00000000000000000001.wal", Path.GetFileName(segments[0]));
        long previousFirst = 0;
        foreach (string segment in segments)
        {
            long first = long.Parse(Path.GetFileNameWithoutExtension(segment), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(first > previousFirst);
            previousFirst = first;
            Assert.True(WalFiles.EntryOffsets(segment).Count > 0);
        }

        using WriteAheadLog reopened = WriteAheadLog.Open(dir.Path, 100, noSync: false);
        Assert.Equal(30, reopened.LastIndex);
        Assert.Equal(1, reopened.FirstIndex);
        AssertEntries(reopened, 1, 30);
        AssertEntries(reopened, 17, 30);
    }

    [Fact]
    public void TruncateBeforeDropsOnlyWholeSegmentsBelowTheIndex()
    {
        using TempDir dir = new();
        string[] segments;
        long keptFirst;
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, segmentBytes: 100, noSync: false))
        {
            AppendRange(wal, 1, 30);
            segments = WalFiles.Segments(dir.Path);
            long[] firsts = [.. segments.Select(s => long.Parse(Path.GetFileNameWithoutExtension(s), System.Globalization.CultureInfo.InvariantCulture))];

            // Truncate to an index inside the third segment: the first two go, the third (holding it) stays.
            long inside = firsts[2] + 1;
            Assert.True(inside < firsts[3]);
            wal.TruncateBefore(inside);
            keptFirst = firsts[2];

            Assert.Equal(keptFirst, wal.FirstIndex);
            Assert.Equal(30, wal.LastIndex);
            Assert.False(File.Exists(segments[0]));
            Assert.False(File.Exists(segments[1]));
            Assert.True(File.Exists(segments[2]));
            AssertEntries(wal, keptFirst, 30);

            wal.TruncateBefore(1_000); // never the last segment: appends go there
            Assert.Single(WalFiles.Segments(dir.Path));
            Assert.Equal(30, wal.LastIndex);
            AppendRange(wal, 31, 32);
        }

        using WriteAheadLog reopened = WriteAheadLog.Open(dir.Path, 100, noSync: false);
        Assert.Equal(32, reopened.LastIndex);
        long first = reopened.FirstIndex;
        Assert.True(first > keptFirst);
        AssertEntries(reopened, first, 32);
    }

    [Fact]
    public void AMissingMiddleSegmentIsAGap()
    {
        using TempDir dir = new();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, segmentBytes: 64, noSync: true))
        {
            AppendRange(wal, 1, 10);
        }

        string[] segments = WalFiles.Segments(dir.Path);
        File.Delete(segments[1]);

        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(dir.Path, 64, noSync: true));
        Assert.Equal(segments[2], e.Path);
    }

    [Fact]
    public void ASegmentNamedOtherwiseIsRefused()
    {
        using TempDir dir = new();
        string stray = Path.Combine(dir.Path, "backup.wal");
        File.WriteAllBytes(stray, [1, 2, 3]);

        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(dir.Path, BigSegments, noSync: true));
        Assert.Equal(stray, e.Path);
    }
}
