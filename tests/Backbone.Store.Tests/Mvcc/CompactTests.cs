using Backbone.Store.Model;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Mvcc;

/// <summary>etcd's Compact: reads below the compact revision fail, at or after it succeed unchanged.</summary>
public sealed class CompactTests
{
    /// <summary>From an empty store at revision 1: rev 2 a=1, rev 3 b=1, rev 4 a=2, rev 5 delete b, rev 6 c=1, rev 7 a=3, rev 8 delete c.</summary>
    private static async Task<StoreEngine> OpenSeededAsync(TempDir dir)
    {
        StoreEngine engine = StoreEngine.Open(dir.Fast());
        await engine.PutAsync("a", "1");
        await engine.PutAsync("b", "1");
        await engine.PutAsync("a", "2");
        await engine.DeleteAsync("b");
        await engine.PutAsync("c", "1");
        await engine.PutAsync("a", "3");
        await engine.DeleteAsync("c");
        return engine;
    }

    /// <summary>Every key at every revision from 1 to the current one, as "rev:key=value@mod/v" lines.</summary>
    private static List<string> Snapshot(StoreEngine engine, long from)
    {
        List<string> lines = [];
        for (long at = from; at <= engine.Revision; at++)
        {
            RangeResult result = engine.Range(new RangeRequest { Key = [0], RangeEnd = [0], Revision = at });
            lines.AddRange(result.Kvs.Select(kv => $"{at}:{S(kv.Key)}={S(kv.Value)}@{kv.ModRevision}/{kv.CreateRevision}/v{kv.Version}"));
        }

        return lines;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(8)]
    public async Task ReadsBelowFailAndReadsAtOrAfterAreUnchanged(long at)
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);
        List<string> before = Snapshot(engine, at);

        CompactResult result = await engine.CompactAsync(at, physical: false, CancellationToken.None);

        Assert.Equal(8, result.Revision);
        Assert.Equal(at, engine.Status.CompactRevision);
        Assert.Equal(before, Snapshot(engine, at));
        for (long below = 1; below < at; below++)
        {
            long revision = below;
            Assert.Equal(StoreError.Compacted, ErrorOf(() => engine.Range(new RangeRequest { Key = B("a"), Revision = revision })));
        }

        Assert.Equal(8, engine.Revision); // compaction is not a write
    }

    [Fact]
    public async Task PhysicalCompactionKeepsWhatReadsAtOrAfterSee()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);
        List<string> before = Snapshot(engine, 6);

        await engine.CompactAsync(6, physical: true, CancellationToken.None);

        Assert.Equal(before, Snapshot(engine, 6));
        await engine.PutAsync("a", "4");
        Assert.Equal(4, engine.Get("a")!.Version);
        Assert.Equal(2, engine.Get("a")!.CreateRevision);
    }

    [Fact]
    public async Task CompactingTwiceToTheSameRevisionIsCompacted()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);
        await engine.CompactAsync(5, physical: false, CancellationToken.None);

        Assert.Equal(StoreError.Compacted, await ErrorOfAsync(() => engine.CompactAsync(5, physical: false, CancellationToken.None)));
        Assert.Equal(StoreError.Compacted, await ErrorOfAsync(() => engine.CompactAsync(3, physical: false, CancellationToken.None)));
        Assert.Equal(5, engine.Status.CompactRevision);

        await engine.CompactAsync(7, physical: false, CancellationToken.None);
        Assert.Equal(7, engine.Status.CompactRevision);
    }

    [Fact]
    public async Task CompactingTheFutureIsFutureRevision()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);

        Assert.Equal(StoreError.FutureRevision, await ErrorOfAsync(() => engine.CompactAsync(9, physical: false, CancellationToken.None)));
        Assert.Equal(-1, engine.Status.CompactRevision); // still never compacted (etcd's -1)

        await engine.CompactAsync(8, physical: false, CancellationToken.None); // the current revision is fine
        Assert.Equal(["a"], engine.Keys());
    }

    [Fact]
    public async Task AKeyDeletedBeforeTheCompactionCanBeCreatedAgain()
    {
        using TempDir dir = new();
        await using StoreEngine engine = await OpenSeededAsync(dir);
        await engine.CompactAsync(8, physical: true, CancellationToken.None);

        await engine.PutAsync("b", "new");
        await engine.PutAsync("c", "new");

        KeyValue b = engine.Get("b")!;
        Assert.Equal((9L, 1L), (b.CreateRevision, b.Version));
        Assert.Equal(["a", "b", "c"], engine.Keys());
        Assert.Empty(engine.Range(new RangeRequest { Key = B("b"), Revision = 8 }).Kvs);
    }
}
