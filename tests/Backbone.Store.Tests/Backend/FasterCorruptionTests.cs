using Backbone.Store.Model;

namespace Backbone.Store.Tests.Backend;

/// <summary>
/// A damaged FASTER checkpoint never yields a silently shortened store: the engine either refuses
/// to open, naming the place, or (when FASTER can rebuild what was damaged from its log) opens
/// with every key intact. Both outcomes are checked to be one or the other, never a third.
/// </summary>
public sealed class FasterCorruptionTests
{
    [Theory]
    [InlineData("cpr-checkpoints")]
    [InlineData("index-checkpoints")]
    public async Task DamagedCheckpointRefusesToOpen(string checkpointKind)
    {
        using TempDir dir = new();
        StoreOptions options = dir.Options with { CheckpointEveryEntries = 50, WalSegmentBytes = 4096 };
        await using (StoreEngine engine = StoreEngine.Open(options))
        {
            for (int i = 0; i < 400; i++)
            {
                await engine.PutAsync(new PutRequest { Key = System.Text.Encoding.UTF8.GetBytes($"k{i % 40}"), Value = new byte[64] }, default);
            }
        }

        // The clean shutdown checkpointed and truncated the WAL: the checkpoint is now the only copy.
        Assert.True(Directory.GetFiles(Path.Combine(dir.Path, "wal")).Length < 10);
        string checkpoints = Path.Combine(dir.Path, "faster", "checkpoints", checkpointKind);
        foreach (string file in Directory.GetFiles(checkpoints, "*", SearchOption.AllDirectories))
        {
            byte[] bytes = await File.ReadAllBytesAsync(file);
            for (int i = 0; i < Math.Min(bytes.Length, 64); i++)
            {
                bytes[i] ^= 0x5A;
            }

            await File.WriteAllBytesAsync(file, bytes);
        }

        StoreEngine reopened;
        try
        {
            reopened = StoreEngine.Open(options);
        }
        catch (StoreCorruptException refused)
        {
            Assert.StartsWith(dir.Path, refused.Path, StringComparison.Ordinal);
            return;
        }

        await using (reopened)
        {
            RangeResult all = reopened.Range(new RangeRequest { Key = [0], RangeEnd = [0] });
            Assert.Equal(40, all.Count);
            Assert.Equal(401, all.Revision);
            Assert.All(all.Kvs, kv => Assert.Equal(10, kv.Version));
        }
    }

    [Fact]
    public async Task DamagedLogRecordFailsItsChecksumNamingTheFile()
    {
        using TempDir dir = new();
        StoreOptions options = dir.Options;
        byte[] marker = System.Text.Encoding.UTF8.GetBytes("MARKER-VALUE-0123456789");
        await using (StoreEngine engine = StoreEngine.Open(options))
        {
            await engine.PutAsync(new PutRequest { Key = "victim"u8.ToArray(), Value = marker }, default);
        }

        string log = Directory.GetFiles(Path.Combine(dir.Path, "faster"), "hlog.log*").Single();
        byte[] bytes = await File.ReadAllBytesAsync(log);
        int at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at > 0, "the value is in the FASTER log file");
        bytes[at + 3] ^= 0x01;
        await File.WriteAllBytesAsync(log, bytes);

        StoreCorruptException refused = Assert.Throws<StoreCorruptException>(() => StoreEngine.Open(options));
        Assert.Equal(log, refused.Path);
        Assert.Contains("checksum", refused.Message, StringComparison.Ordinal);
    }
}
