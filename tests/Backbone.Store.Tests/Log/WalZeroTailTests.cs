using System.Text;
using Backbone.Store.Log;

namespace Backbone.Store.Tests.Log;

/// <summary>
/// The active segment is zero-filled ahead of its entries (WriteAheadLog.PreallocateBytes at a
/// time). A crash leaves that zero tail on disk; these tests take the files of a log that is
/// still open, as kill -9 would, and check that the tail reads as the end of the log, never as
/// entries or as damage, and that damage inside or after it is still told apart.
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

    [Fact]
    public void BytesInsideTheZeroTailAreCorruption()
    {
        // Nothing is ever written past the zeros that follow the last entry: a byte there is damage,
        // and reading on as if the log ended would hide it.
        using TempDir dir = new();
        using TempDir crashed = new();
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, BigSegments, noSync: true);
        long used = Append(wal, 1, 6);
        string segment = CrashImage(dir.Path, crashed);
        WriteAt(segment, used + 4096, [0x42]);

        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => WriteAheadLog.Open(crashed.Path, BigSegments, noSync: true));
        Assert.Equal(segment, e.Path);
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
