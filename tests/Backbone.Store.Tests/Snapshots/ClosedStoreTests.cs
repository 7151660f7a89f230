using Backbone.Store.Commands;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Snapshots;

/// <summary>
/// Work that a node's background tasks start late (a snapshot dump for a follower, held entries
/// settling) is refused once the store is closing, instead of touching a store being disposed:
/// an in-place restart disposes the store while those tasks may still run.
/// </summary>
public sealed class ClosedStoreTests
{
    [Fact]
    public async Task AClosedStoreRefusesDumpsInstallsAndBatchesAsStopped()
    {
        using TempDir dir = new();
        StoreApplier applier;
        byte[] snapshot;
        await using (StoreEngine engine = StoreEngine.Open(dir.Fast(), openLog: a => new InMemoryCommandLog(a)))
        {
            await engine.PutAsync("a", "1");
            applier = engine.Applier;
            using var stream = new MemoryStream();
            applier.WriteSnapshot(stream);
            snapshot = stream.ToArray();
            Assert.False(applier.IsClosed);
        }

        Assert.True(applier.IsClosed);
        StoreException dump = Assert.Throws<StoreException>(() => applier.WriteSnapshot(new MemoryStream()));
        Assert.Equal(StoreError.Stopped, dump.Error);
        StoreException install = await Assert.ThrowsAsync<StoreException>(() => applier.InstallSnapshotAsync(new MemoryStream(snapshot)));
        Assert.Equal(StoreError.Stopped, install.Error);
        StoreException batch = Assert.Throws<StoreException>(() => applier.ApplyBatch([(applier.AppliedPosition + 1, new CompactCommand { Revision = 1 })]));
        Assert.Equal(StoreError.Stopped, batch.Error);
        applier.Maintain(); // a maintenance turn queued before the close does nothing

        // Nothing reached the files: the store reopens with its one key.
        await using StoreEngine reopened = StoreEngine.Open(dir.Fast(), openLog: a => new InMemoryCommandLog(a));
        Assert.Equal("1", S(reopened.Get("a")!.Value));
    }
}
