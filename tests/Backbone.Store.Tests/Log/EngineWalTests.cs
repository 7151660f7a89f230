using Backbone.Store.Model;
using Microsoft.Extensions.Time.Testing;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Log;

/// <summary>The WAL under a whole engine: damage refuses the start, a torn tail does not, a crash replays.</summary>
public sealed class EngineWalTests
{
    private static string WalDir(StoreOptions options) => Path.Combine(options.DataDir, "wal");

    [Fact]
    public async Task ACorruptWalRefusesToOpenAndNamesTheFile()
    {
        using TempDir dir = new();
        StoreOptions options = dir.Fast();
        await using (StoreEngine engine = StoreEngine.Open(options))
        {
            for (int i = 0; i < 5; i++)
            {
                await engine.PutAsync($"k{i}", "v");
            }
        }

        string segment = Assert.Single(WalFiles.Segments(WalDir(options)));
        List<long> offsets = WalFiles.EntryOffsets(segment);
        Assert.True(offsets.Count >= 5);
        WalFiles.FlipByte(segment, offsets[1] + WalFiles.HeaderBytes + 2);

        StoreCorruptException e = Assert.Throws<StoreCorruptException>(() => StoreEngine.Open(options));

        Assert.Contains(segment, e.Message);
        Assert.Equal(segment, e.Path);
    }

    [Fact]
    public async Task ATornTailIsCutReportedAndTheStoreOpens()
    {
        using TempDir dir = new();
        StoreOptions options = dir.Fast();
        await using (StoreEngine engine = StoreEngine.Open(options))
        {
            await engine.PutAsync("a", "1");
            await engine.PutAsync("b", "1");
        }

        // A crash while writing the next entry: its header and part of its payload reached the disk.
        string segment = Assert.Single(WalFiles.Segments(WalDir(options)));
        long length = new FileInfo(segment).Length;
        byte[] torn = new byte[WalFiles.HeaderBytes + 10];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(torn, 200);
        await using (FileStream file = new(segment, FileMode.Append))
        {
            await file.WriteAsync(torn);
        }

        List<string> notes = [];
        await using (StoreEngine engine = StoreEngine.Open(options, note: notes.Add))
        {
            string note = Assert.Single(notes);
            Assert.Contains(segment, note);
            Assert.Equal(length, new FileInfo(segment).Length);
            Assert.Equal(["a", "b"], engine.Keys());
            Assert.Equal(3, engine.Revision);
            Assert.Equal(4, (await engine.PutAsync("c", "1")).Revision);
        }

        await using (StoreEngine engine = StoreEngine.Open(options))
        {
            Assert.Equal(["a", "b", "c"], engine.Keys());
        }
    }

    /// <summary>
    /// A crash after a checkpoint: the data directory is copied while the engine runs (no final
    /// checkpoint), so the copy must recover FASTER's checkpoint and replay the WAL past it.
    /// </summary>
    [Fact]
    public async Task ACrashAfterACheckpointReplaysTheWal()
    {
        using TempDir dir = new();
        using TempDir crashed = new();
        FakeTimeProvider time = new();
        StoreOptions options = dir.Fast() with { CheckpointEveryEntries = 5, WalSegmentBytes = 1 };
        List<string> expected;
        await using (StoreEngine engine = StoreEngine.Open(options, time))
        {
            await engine.LeaseGrantAsync(7, 60, CancellationToken.None);

            // Named before the checkpoint can exist: read after the fifth entry, the list may
            // already be truncated, and its first segment then is the last one, which stays.
            string firstSegment = WalFiles.Segments(WalDir(options))[0];
            await engine.LeaseGrantAsync(9, 60, CancellationToken.None);
            await engine.PutAsync("k0", "v0", lease: 7);
            await engine.PutAsync("k1", "v1");
            await engine.PutAsync("k2", "v2", lease: 9);

            // Five entries: a checkpoint starts; once it completes the WAL before it is dropped.
            await WaitUntilAsync(() => !File.Exists(firstSegment), "the WAL truncated after the checkpoint");

            await engine.PutAsync("k0", "after");
            await engine.LeaseRevokeAsync(9, CancellationToken.None);
            await engine.LeaseGrantAsync(8, 60, CancellationToken.None);
            await engine.PutAsync("k9", "x", lease: 8);
            expected = Snapshot(engine);
            Assert.True(WalFiles.Segments(WalDir(options)).Length >= 4, "the four entries after the checkpoint are only in the WAL");

            CopyDirectory(options.DataDir, crashed.Path);
        }

        StoreOptions copy = options with { DataDir = crashed.Path };
        await using (StoreEngine engine = StoreEngine.Open(copy, time))
        {
            Assert.Equal(expected, Snapshot(engine));
            Assert.Equal([7L, 8L], engine.Leases().Order());
            Assert.Equal(["k0", "k1", "k9"], engine.Keys());
            Assert.Empty(engine.LeaseTimeToLive(7, withKeys: true).Keys); // k0 was put again without it
            Assert.Equal(["k9"], engine.LeaseTimeToLive(8, withKeys: true).Keys.Select(S));
            await engine.PutAsync("k5", "more");
        }

        await using (StoreEngine engine = StoreEngine.Open(copy, time))
        {
            Assert.Equal("more", S(engine.Get("k5")!.Value));
            Assert.Equal(["k0", "k1", "k5", "k9"], engine.Keys());
            Assert.Equal(expected[1..], Snapshot(engine).Skip(1).Take(expected.Count - 1)); // history up to the crash unchanged
        }
    }

    private static List<string> Snapshot(StoreEngine engine)
    {
        List<string> lines = [$"revision {engine.Revision}"];
        for (long at = 1; at <= engine.Revision; at++)
        {
            foreach (KeyValue kv in engine.Range(new RangeRequest { Key = [0], RangeEnd = [0], Revision = at }).Kvs)
            {
                lines.Add($"{at}:{S(kv.Key)}={S(kv.Value)} c{kv.CreateRevision} m{kv.ModRevision} v{kv.Version} l{kv.Lease}");
            }
        }

        return lines;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        }

        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal), overwrite: true);
        }
    }
}
