using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Mvcc;

/// <summary>A store never compacted accepts compaction at 0 or 1 once, as etcd (its compact revision starts at -1).</summary>
public sealed class FirstCompactionTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task FreshStoreCompactsOnceAtTheStart(long revision)
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.CompactAsync(revision, physical: false, default);
        Assert.Equal(StoreError.Compacted, await ErrorOfAsync(() => engine.CompactAsync(revision, physical: false, default)));

        await engine.PutAsync("k", "v");
        Assert.Equal("v", S(engine.Get("k")!.Value));
    }

    [Fact]
    public async Task NeverCompactedSurvivesReopen()
    {
        using TempDir dir = new();
        await using (StoreEngine engine = StoreEngine.Open(dir.Fast()))
        {
            await engine.PutAsync("k", "v");
        }

        await using StoreEngine reopened = StoreEngine.Open(dir.Fast());
        await reopened.CompactAsync(0, physical: false, default); // still never compacted after a restart
    }
}
