using Backbone.Core;
using Backbone.Store.Backend;
using Backbone.Store.Model;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests;

/// <summary>
/// Defragment finishes the physical compaction under way and checkpoints: compacted revisions
/// leave FASTER, every live key and readable revision stays, and a restart finds the same store.
/// </summary>
public sealed class DefragmentTests
{
    [Fact]
    public async Task DefragmentDropsCompactedRevisionsKeepsEverythingElseAndCheckpoints()
    {
        using TempDir dir = new();
        StoreOptions options = dir.Fast() with { CheckpointInterval = TimeSpan.FromHours(1) }; // no checkpoint but ours
        long compactAt;
        HashKvResult hashBefore;
        await using (StoreEngine engine = StoreEngine.Open(options))
        {
            for (int i = 0; i < 30; i++)
            {
                await engine.PutAsync($"k{i % 3}", $"v{i}");
            }

            await engine.DeleteAsync("k2");
            compactAt = engine.Revision - 5;
            await engine.CompactAsync(compactAt, physical: false, CancellationToken.None);
            await engine.PutAsync("after", "x");
            hashBefore = engine.HashKv(compactAt, CancellationToken.None);

            await engine.DefragmentAsync(CancellationToken.None);

            Assert.Equal(engine.Applier.AppliedPosition, engine.Applier.CheckpointedPosition);
            Assert.Equal(hashBefore, engine.HashKv(compactAt, CancellationToken.None));
            Assert.Equal(["after", "k0", "k1"], engine.Keys());
            // Revisions 2..31 put k0, k1, k2 in turn (v0..v29); 32 deletes k2; compactAt is 27.
            Assert.Equal(["v24", "v25", "v23"], (string[])[.. new[] { "k0", "k1", "k2" }.Select(k => S(engine.Get(k, revision: compactAt)!.Value))]);
        }

        await using (StoreEngine reopened = StoreEngine.Open(options))
        {
            Assert.Equal(hashBefore, reopened.HashKv(compactAt, CancellationToken.None));
            Assert.Equal(["after", "k0", "k1"], reopened.Keys());
            Assert.Equal("x", S(reopened.Get("after")!.Value));
        }

        using FasterBackend backend = new(dir.Options);
        byte[] key = new byte[FasterKey.Length];
        FasterKey.WriteRevision(key, new Revision(2, 0));
        Assert.Null(backend.TryRead(key)); // k0's first version, compacted away
    }

    [Fact]
    public async Task DefragmentOfAFreshStoreSucceeds()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());

        await engine.DefragmentAsync(CancellationToken.None);

        Assert.Equal(1, engine.Revision);
        Assert.Empty(engine.Keys());
    }
}
