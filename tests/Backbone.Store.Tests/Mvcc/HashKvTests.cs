using Backbone.Store.Model;
using Backbone.Store.Tests.Snapshots;
using static Backbone.Store.Tests.Mvcc.MvccKit;

namespace Backbone.Store.Tests.Mvcc;

/// <summary>
/// HashKV: replicas with the same history agree, any change to the history changes the hash, a
/// past revision's hash does not move as writes go on, and the numbers are etcd's (the constants
/// below were read from etcd 3.4.23 running the same commands; the server's differential test
/// checks more cases against a live etcd).
/// </summary>
public sealed class HashKvTests
{
    /// <summary>etcd's hash of an empty store: the CRC-32C of its bucket name "key" alone.</summary>
    private const uint EmptyStoreHash = 1084519789;

    /// <summary>etcd 3.4.23 after <see cref="SeedWorkedExampleAsync"/>: HashKV(0) at revision 6.</summary>
    private const uint WorkedExampleHash = 1947802976;

    /// <summary>etcd 3.4.23 after <see cref="SeedWorkedExampleAsync"/> and compact 4: HashKV(5).</summary>
    private const uint WorkedExampleCompactedHash = 1468967122;

    /// <summary>put a=1 @2, put b=2 @3, put a=3 @4, delete b @5, put c="" @6.</summary>
    private static async Task SeedWorkedExampleAsync(StoreEngine engine)
    {
        await engine.PutAsync("a", "1");
        await engine.PutAsync("b", "2");
        await engine.PutAsync("a", "3");
        await engine.DeleteAsync("b");
        await engine.PutAsync("c", "");
    }

    /// <summary>A history touching every kind of record: txns with several changes, a lease and its revoke, deletes, a compaction.</summary>
    private static async Task SeedMixedHistoryAsync(StoreEngine engine)
    {
        LeaseGrantResult lease = await engine.LeaseGrantAsync(7, 60, CancellationToken.None);
        await engine.PutAsync("a", "1");
        await engine.PutAsync("b", "1", lease.Id);
        await engine.PutAsync("c", "1", lease.Id);
        await engine.TxnAsync([], [PutOp("a", "2"), PutOp("d", "1"), DeleteOp("b")]);
        await engine.PutAsync("e", new string('x', 300));
        await engine.CompactAsync(5, physical: true, CancellationToken.None);
        await engine.LeaseRevokeAsync(lease.Id, CancellationToken.None); // deletes c, one revision
        await engine.DeleteAsync("a", "b");
        await engine.PutAsync("a", "3");
    }

    [Fact]
    public async Task AnEmptyStoreAnswersEtcdsEmptyHash()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());

        HashKvResult result = engine.HashKv(0, CancellationToken.None);

        Assert.Equal(new HashKvResult(EmptyStoreHash, -1, 1), result);
    }

    [Fact]
    public async Task TheNumbersAreEtcdsBeforeAndAfterACompaction()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await SeedWorkedExampleAsync(engine);

        Assert.Equal(new HashKvResult(WorkedExampleHash, -1, 6), engine.HashKv(0, CancellationToken.None));

        await engine.CompactAsync(4, physical: false, CancellationToken.None);
        HashKvResult beforeDeletes = engine.HashKv(5, CancellationToken.None);
        await engine.Log.WhenPhysicalCompactionDoneAsync(CancellationToken.None);
        HashKvResult afterDeletes = engine.HashKv(5, CancellationToken.None);

        // The answer never depends on how far physical compaction got.
        Assert.Equal(new HashKvResult(WorkedExampleCompactedHash, 4, 6), beforeDeletes);
        Assert.Equal(beforeDeletes, afterDeletes);
    }

    [Fact]
    public async Task TheSameHistoryGivesTheSameHashAfterARestartAndOnASnapshotInstalledCopy()
    {
        using TempDir firstDir = new();
        using TempDir secondDir = new();
        using TempDir installedDir = new();
        List<HashKvResult> first;
        byte[] snapshot;
        await using (StoreEngine engine = StoreEngine.Open(firstDir.Fast()))
        {
            await SeedMixedHistoryAsync(engine);
            first = AllHashes(engine);
            using MemoryStream stream = new();
            engine.Applier.WriteSnapshot(stream);
            snapshot = stream.ToArray();
        }

        await using (StoreEngine second = StoreEngine.Open(secondDir.Fast()))
        {
            await SeedMixedHistoryAsync(second);
            Assert.Equal(first, AllHashes(second));
        }

        await using (StoreEngine reopened = StoreEngine.Open(firstDir.Fast()))
        {
            Assert.Equal(first, AllHashes(reopened));
        }

        await using StoreEngine installed = StoreEngine.Open(installedDir.Fast(), openLog: applier => new InMemoryCommandLog(applier));
        await installed.PutAsync("stale", "x");
        await installed.Applier.InstallSnapshotAsync(new MemoryStream(snapshot));
        Assert.Equal(first, AllHashes(installed));
    }

    [Fact]
    public async Task AnyDifferenceInTheHistoryChangesTheHash()
    {
        uint reference = await HashOfAsync(e => e.PutAsync("k", "value"));

        Assert.NotEqual(reference, await HashOfAsync(e => e.PutAsync("k", "valuf"))); // one byte of a value
        Assert.NotEqual(reference, await HashOfAsync(e => e.PutAsync("j", "value"))); // the key
        Assert.NotEqual(reference, await HashOfAsync(async e => // the same final state, another history
        {
            await e.PutAsync("k", "old");
            await e.PutAsync("k", "value");
        }));
        Assert.NotEqual(reference, await HashOfAsync(async e => // a lease
        {
            LeaseGrantResult lease = await e.LeaseGrantAsync(9, 60, CancellationToken.None);
            await e.PutAsync("k", "value", lease.Id);
        }));
        Assert.NotEqual(reference, await HashOfAsync(async e => // a tombstone
        {
            await e.PutAsync("k", "value");
            await e.DeleteAsync("k");
        }));
        Assert.Equal(reference, await HashOfAsync(e => e.PutAsync("k", "value")));
    }

    [Fact]
    public async Task APastRevisionsHashStaysAsWritesGoOn()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        Dictionary<long, uint> atTheTime = [];
        for (int i = 0; i < 40; i++)
        {
            Task write = i % 7 == 6 ? engine.DeleteAsync($"k{i % 5}") : engine.PutAsync($"k{i % 5}", $"v{i}");
            await write;
            HashKvResult now = engine.HashKv(0, CancellationToken.None);
            atTheTime[now.Revision] = now.Hash;
        }

        foreach ((long revision, uint hash) in atTheTime)
        {
            HashKvResult later = engine.HashKv(revision, CancellationToken.None);
            Assert.Equal(hash, later.Hash);
            Assert.Equal(engine.Revision, later.Revision); // the header carries the current revision
        }

        Assert.Equal(atTheTime.Count, atTheTime.Values.Distinct().Count());
    }

    [Fact]
    public async Task FutureAndCompactedRevisionsAreRefusedAndTheCompactionPointItselfIsNot()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await SeedWorkedExampleAsync(engine);

        Assert.Equal(StoreError.FutureRevision, ErrorOf(() => engine.HashKv(7, CancellationToken.None)));

        await engine.CompactAsync(4, physical: true, CancellationToken.None);
        Assert.Equal(StoreError.Compacted, ErrorOf(() => engine.HashKv(3, CancellationToken.None)));
        Assert.Equal(StoreError.Compacted, ErrorOf(() => engine.HashKv(1, CancellationToken.None)));
        Assert.Equal(4, engine.HashKv(4, CancellationToken.None).CompactRevision);
        Assert.Equal(StoreError.FutureRevision, ErrorOf(() => engine.HashKv(7, CancellationToken.None)));
    }

    /// <summary>
    /// Many chunks read while writers and a compaction run: each answer is the hash of the view it
    /// started from (the old or the new compaction point, as it reports), never a mix.
    /// </summary>
    [Fact]
    public async Task HashingDuringWritesAndACompactionAnswersForOneConsistentView()
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        for (int i = 0; i < 3000; i++)
        {
            await engine.PutAsync($"k{i % 700}", $"v{i}");
        }

        long at = engine.Revision;
        HashKvResult before = engine.HashKv(at, CancellationToken.None);
        using CancellationTokenSource stop = new();
        Task<List<HashKvResult>> hashing = Task.Run(() =>
        {
            List<HashKvResult> seen = [];
            while (!stop.IsCancellationRequested || seen.Count < 3)
            {
                seen.Add(engine.HashKv(at, CancellationToken.None));
            }

            return seen;
        });

        for (int i = 0; i < 500; i++)
        {
            await engine.PutAsync($"k{i % 50}", $"w{i}");
            if (i == 250)
            {
                await engine.CompactAsync(at - 100, physical: true, CancellationToken.None);
            }
        }

        stop.Cancel();
        List<HashKvResult> results = await hashing;
        HashKvResult after = engine.HashKv(at, CancellationToken.None);

        Assert.Equal(at - 100, after.CompactRevision);
        Assert.NotEqual(before.Hash, after.Hash); // the compaction point is part of what is hashed, as in etcd
        foreach (HashKvResult result in results)
        {
            Assert.Equal(result.CompactRevision == before.CompactRevision ? before.Hash : after.Hash, result.Hash);
        }
    }

    /// <summary>HashKV(r) for every readable revision r of the engine.</summary>
    private static List<HashKvResult> AllHashes(StoreEngine engine)
    {
        List<HashKvResult> hashes = [];
        for (long at = Math.Max(engine.Status.CompactRevision, 1); at <= engine.Revision; at++)
        {
            hashes.Add(engine.HashKv(at, CancellationToken.None));
        }

        return hashes;
    }

    private static async Task<uint> HashOfAsync(Func<StoreEngine, Task> history)
    {
        using TempDir dir = new();
        await using StoreEngine engine = StoreEngine.Open(dir.Fast());
        await history(engine);
        return engine.HashKv(0, CancellationToken.None).Hash;
    }
}
