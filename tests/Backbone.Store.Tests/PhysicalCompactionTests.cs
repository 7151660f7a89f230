using Backbone.Core;
using Backbone.Store.Backend;
using Backbone.Store.Model;

namespace Backbone.Store.Tests;

/// <summary>Compaction is logical at once and physical soon after: old revisions leave FASTER.</summary>
public sealed class PhysicalCompactionTests
{
    [Fact]
    public async Task CompactedRevisionsLeaveFasterAndLiveOnesStay()
    {
        using TempDir dir = new();
        long compactAt;
        long latest;
        await using (StoreEngine engine = StoreEngine.Open(dir.Options))
        {
            for (int i = 0; i < 50; i++)
            {
                await engine.PutAsync(new PutRequest { Key = "k"u8.ToArray(), Value = BitConverter.GetBytes(i) }, default);
            }

            await engine.PutAsync(new PutRequest { Key = "gone"u8.ToArray(), Value = [1] }, default);
            await engine.DeleteRangeAsync(new DeleteRangeRequest { Key = "gone"u8.ToArray() }, default);
            latest = (await engine.PutAsync(new PutRequest { Key = "k"u8.ToArray(), Value = [9] }, default)).Revision;
            compactAt = latest;
            await engine.CompactAsync(compactAt, physical: true, default);
        }

        using FasterBackend backend = new(dir.Options);
        byte[] key = new byte[FasterKey.Length];
        for (long rev = 2; rev < latest; rev++)
        {
            FasterKey.WriteRevision(key, new Revision(rev, 0));
            Assert.Null(backend.TryRead(key)); // every older revision of "k" and "gone" was deleted
        }

        FasterKey.WriteRevision(key, new Revision(latest, 0));
        Assert.NotNull(backend.TryRead(key)); // the live value stays
    }
}
