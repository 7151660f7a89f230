using System.Collections.Concurrent;
using Backbone.Client;
using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Backbone.Server.Tests.Crash;

/// <summary>
/// kill -9 at random moments under concurrent writes: every acknowledged write must be there after
/// the restart, at the revision it was acknowledged with. Replay a run with BACKBONE_TEST_SEED.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Writers = 8;
    private const int Cycles = 3;

    [Fact]
    public async Task AcknowledgedWritesSurviveSigkill()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("BACKBONE_TEST_SEED"), out int s) ? s : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with BACKBONE_TEST_SEED={seed})");
        Random random = new(seed);
        string dataDir = Path.Combine(Path.GetTempPath(), "bbcrash-" + Guid.NewGuid().ToString("N")[..12]);
        ConcurrentDictionary<string, (string Value, long Revision)> acknowledged = new();
        try
        {
            for (int cycle = 0; cycle < Cycles; cycle++)
            {
                await using NodeProcess node = new(dataDir);
                node.Start();
                await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
                await VerifyAsync(node.Endpoint, acknowledged);

                using CancellationTokenSource stop = new();
                Task[] writers = [.. Enumerable.Range(0, Writers).Select(w => WriteUntilFailureAsync(node.Endpoint, cycle, w, acknowledged, stop.Token))];
                int before = acknowledged.Count;
                DateTime deadline = DateTime.UtcNow.AddSeconds(30);
                int target = before + 50 + random.Next(400);
                while (acknowledged.Count < target && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(random.Next(1, 20));
                }

                node.Kill();
                await stop.CancelAsync();
                await Task.WhenAll(writers);
                output.WriteLine($"cycle {cycle}: killed after {acknowledged.Count - before} new acknowledged writes");
                Assert.True(acknowledged.Count > before, "writers made no progress before the kill: " + node.Output);
            }

            await using NodeProcess last = new(dataDir);
            last.Start();
            await last.WaitReadyAsync(TimeSpan.FromSeconds(120));
            await VerifyAsync(last.Endpoint, acknowledged);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task CorruptWalRefusesToStartAndNamesTheFile()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "bbcorrupt-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            await using (NodeProcess node = new(dataDir))
            {
                node.Start();
                await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
                using BackboneClient client = new(node.Endpoint);
                for (int i = 0; i < 20; i++)
                {
                    await client.PutAsync($"k{i}", new string('v', 100));
                }

                node.Kill(); // no final checkpoint: the WAL is what holds these writes
            }

            string segment = Directory.GetFiles(Path.Combine(dataDir, "wal"), "*.wal").Single();
            byte[] bytes = await File.ReadAllBytesAsync(segment);
            // Damage an entry in the middle, not a torn tail: a third into the entries, which end
            // where the zeros the active segment is filled with ahead of them begin.
            int used = Array.FindLastIndex(bytes, b => b != 0) + 1;
            bytes[used / 3] ^= 0xFF;
            await File.WriteAllBytesAsync(segment, bytes);

            await using NodeProcess damaged = new(dataDir);
            damaged.Start();
            int exitCode = await damaged.WaitForExitAsync(TimeSpan.FromSeconds(120));
            Assert.Equal(2, exitCode);
            Assert.Contains(segment, damaged.Output, StringComparison.Ordinal);
            Assert.Contains("checksum", damaged.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task SigtermStopsCleanlyAndKeepsData()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "bbterm-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            long revision;
            await using (NodeProcess node = new(dataDir))
            {
                node.Start();
                await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
                using BackboneClient client = new(node.Endpoint);
                revision = (await client.PutAsync("kept", "yes")).Header.Revision;
                node.Terminate();
                Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                Assert.Contains("stopped cleanly", node.Output, StringComparison.Ordinal);
            }

            await using NodeProcess again = new(dataDir);
            again.Start();
            await again.WaitReadyAsync(TimeSpan.FromSeconds(120));
            using BackboneClient reader = new(again.Endpoint);
            RangeResponse got = await reader.GetAsync("kept");
            Assert.Equal("yes", Assert.Single(got.Kvs).Value.ToStringUtf8());
            Assert.Equal(revision, got.Kvs[0].ModRevision);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task WriteUntilFailureAsync(string endpoint, int cycle, int writer,
        ConcurrentDictionary<string, (string Value, long Revision)> acknowledged, CancellationToken stop)
    {
        using BackboneClient client = new(endpoint);
        for (int i = 0; !stop.IsCancellationRequested; i++)
        {
            string key = $"crash/{cycle}/{writer}/{i}";
            string value = $"{cycle}-{writer}-{i}-" + new string('x', 200);
            try
            {
                PutResponse put = await client.PutAsync(key, value, cancellationToken: stop);
                acknowledged[key] = (value, put.Header.Revision);
            }
            catch (Exception)
            {
                return; // the node died: this write was never acknowledged
            }
        }
    }

    private static async Task VerifyAsync(string endpoint, ConcurrentDictionary<string, (string Value, long Revision)> acknowledged)
    {
        using BackboneClient client = new(endpoint);
        RangeResponse all = await client.RangeAsync(new RangeRequest
        {
            Key = ByteString.CopyFromUtf8("crash/"),
            RangeEnd = ByteString.CopyFromUtf8("crash0"),
        });
        Dictionary<string, Mvccpb.KeyValue> stored = all.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8());
        foreach ((string key, (string value, long revision)) in acknowledged)
        {
            Assert.True(stored.TryGetValue(key, out Mvccpb.KeyValue? kv), $"acknowledged write {key}@{revision} is missing after restart");
            Assert.Equal(value, kv!.Value.ToStringUtf8());
            Assert.Equal(revision, kv.ModRevision);
        }

        long maxAcknowledged = acknowledged.IsEmpty ? 0 : acknowledged.Values.Max(a => a.Revision);
        Assert.True(all.Header.Revision >= maxAcknowledged, $"revision went back: {all.Header.Revision} < {maxAcknowledged}");
    }
}
