using Backbone.Store.Model;
using Backbone.Store.Watch;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Snapshots;

/// <summary>
/// A member far behind gets the leader's whole state: after the install it answers exactly as
/// the source did (keys, revisions, history, leases), keeps it across a restart, and its
/// watchers neither miss nor repeat events.
/// </summary>
public sealed class SnapshotInstallTests
{
    [Fact]
    public async Task TheInstalledStoreAnswersAsTheSourceDidAndKeepsItAfterARestart()
    {
        using TempDir sourceDir = new();
        using TempDir targetDir = new();
        byte[] snapshot;
        long sourceRevision;
        await using (StoreEngine source = StoreEngine.Open(sourceDir.Fast()))
        {
            LeaseGrantResult lease = await source.LeaseGrantAsync(77, 60, CancellationToken.None);
            await source.PutAsync("a", "1");
            await source.PutAsync("a", "2");
            await source.PutAsync("b", "1", lease.Id);
            await source.DeleteAsync("a");
            await source.PutAsync("c", "1");
            sourceRevision = source.Revision;
            using var stream = new MemoryStream();
            source.Applier.WriteSnapshot(stream);
            snapshot = stream.ToArray();
        }

        StoreOptions targetOptions = targetDir.Fast();
        await using (StoreEngine target = OpenWithoutWal(targetOptions))
        {
            await target.PutAsync("stale", "x"); // the member's own, older state goes away
            await target.Applier.InstallSnapshotAsync(new MemoryStream(snapshot));

            AssertSameAsSource(target, sourceRevision);
        }

        await using StoreEngine reopened = OpenWithoutWal(targetOptions);
        AssertSameAsSource(reopened, sourceRevision);
    }

    /// <summary>As under Raft: the log is someone else's, the store keeps only what checkpoints hold.</summary>
    private static StoreEngine OpenWithoutWal(StoreOptions options) => StoreEngine.Open(options, openLog: applier => new InMemoryCommandLog(applier));

    private static void AssertSameAsSource(StoreEngine target, long sourceRevision)
    {
        Assert.Equal(sourceRevision, target.Revision);
        Assert.Equal(["b", "c"], target.Keys());
        Assert.Equal("2", S(target.Get("a", revision: 3)!.Value));
        Assert.Equal(77, target.Get("b")!.Lease);
        Assert.Contains(77L, target.Leases());
        Assert.Null(target.Get("stale"));
    }

    [Fact]
    public async Task AWatcherOfTheReplacedStoreCatchesUpWithoutAGapOrARepeat()
    {
        using TempDir sourceDir = new();
        using TempDir targetDir = new();
        await using StoreEngine source = StoreEngine.Open(sourceDir.Fast());
        await using StoreEngine target = OpenWithoutWal(targetDir.Fast());
        for (int i = 0; i < 3; i++)
        {
            await source.PutAsync($"k{i}", "same");
            await target.PutAsync($"k{i}", "same"); // both at the same history so far
        }

        await using WatchStream stream = target.OpenWatchStream();
        stream.Create(new WatchSpec { Key = B("k"), RangeEnd = B("l") });
        using var timeout = new CancellationTokenSource(PollDeadline);
        await using IAsyncEnumerator<WatchMessage> messages = stream.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await messages.MoveNextAsync());
        Assert.True(messages.Current.Created);
        for (int i = 3; i < 6; i++)
        {
            await source.PutAsync($"k{i}", "new"); // revisions the target never applied
        }

        using var snapshot = new MemoryStream();
        source.Applier.WriteSnapshot(snapshot);
        snapshot.Position = 0;
        await target.Applier.InstallSnapshotAsync(snapshot);

        List<long> seen = [];
        while (seen.Count < 3 && await messages.MoveNextAsync())
        {
            seen.AddRange(messages.Current.Events.Select(e => e.Kv.ModRevision));
        }

        Assert.Equal([5L, 6L, 7L], seen);
    }
}
