using Backbone.Core;
using Backbone.Store.Index;

namespace Backbone.Store.Tests.Index;

public sealed class KeyHistoryTests
{
    /// <summary>The worked example of KeyHistory's comment: put@2, put@4, delete@6, put@8.</summary>
    private static KeyHistory WorkedExample()
    {
        KeyHistory history = new("k"u8.ToArray());
        history.Put(new Revision(2, 0));
        history.Put(new Revision(4, 0));
        history.Tombstone(new Revision(6, 0));
        history.Put(new Revision(8, 0));
        return history;
    }

    [Fact]
    public void PutStartsALifeAndCountsVersions()
    {
        KeyHistory history = new("k"u8.ToArray());

        KeyRevision first = history.Put(new Revision(3, 0));
        KeyRevision second = history.Put(new Revision(5, 1));

        Assert.Equal(new KeyRevision(new Revision(3, 0), 3, 1, false), first);
        Assert.Equal(new KeyRevision(new Revision(5, 1), 3, 2, false), second);
        Assert.True(history.IsLive);
    }

    [Fact]
    public void WorkedExampleEntries()
    {
        KeyHistory history = WorkedExample();

        Assert.Equal(4, history.Count);
        Assert.Equal(new KeyRevision(new Revision(8, 0), 8, 1, false), history.Latest);
        Assert.True(history.IsLive);
    }

    [Theory]
    [InlineData(1, 0L, 0L, 0L)]
    [InlineData(2, 2L, 2L, 1L)]
    [InlineData(3, 2L, 2L, 1L)]
    [InlineData(4, 4L, 2L, 2L)]
    [InlineData(5, 4L, 2L, 2L)]
    [InlineData(6, 0L, 0L, 0L)]
    [InlineData(7, 0L, 0L, 0L)]
    [InlineData(8, 8L, 8L, 1L)]
    [InlineData(100, 8L, 8L, 1L)]
    public void WorkedExampleReads(long at, long expectedMod, long expectedCreate, long expectedVersion)
    {
        KeyHistory history = WorkedExample();

        bool found = history.TryGet(at, out KeyRevision entry);

        Assert.Equal(expectedMod != 0, found);
        if (found)
        {
            Assert.Equal(expectedMod, entry.Revision.Main);
            Assert.Equal(expectedCreate, entry.CreateRevision);
            Assert.Equal(expectedVersion, entry.Version);
            Assert.False(entry.Tombstone);
        }
    }

    [Theory]
    [InlineData(1, new long[] { 2, 4, 6, 8 }, new long[0])]
    [InlineData(3, new long[] { 2, 4, 6, 8 }, new long[0])]
    [InlineData(4, new long[] { 4, 6, 8 }, new long[] { 2 })]
    [InlineData(5, new long[] { 4, 6, 8 }, new long[] { 2 })]
    [InlineData(6, new long[] { 6, 8 }, new long[] { 2, 4 })]
    [InlineData(7, new long[] { 8 }, new long[] { 2, 4, 6 })]
    [InlineData(8, new long[] { 8 }, new long[] { 2, 4, 6 })]
    [InlineData(50, new long[] { 8 }, new long[] { 2, 4, 6 })]
    public void WorkedExampleCompaction(long at, long[] kept, long[] removed)
    {
        KeyHistory history = WorkedExample();
        List<Revision> dropped = [];

        history.Compact(at, dropped);

        Assert.Equal(removed, dropped.Select(r => r.Main));
        Assert.Equal(kept.Length, history.Count);
        Assert.Equal(kept[^1], history.Latest.Revision.Main);
        for (long read = at; read <= 10; read++)
        {
            // What a read at or after the compaction point sees is unchanged.
            Assert.Equal(WorkedExample().TryGet(read, out KeyRevision want), history.TryGet(read, out KeyRevision got));
            Assert.Equal(want, got);
        }
    }

    [Fact]
    public void CompactingPastAFinalTombstoneEmptiesTheHistory()
    {
        KeyHistory history = new("k"u8.ToArray());
        history.Put(new Revision(2, 0));
        history.Tombstone(new Revision(3, 0));
        List<Revision> dropped = [];

        history.Compact(3, dropped);
        Assert.Equal(1, history.Count); // the tombstone at the compaction point stays one more round
        Assert.False(history.IsLive);

        history.Compact(4, dropped);
        Assert.True(history.IsEmpty);
        Assert.Equal([new Revision(2, 0), new Revision(3, 0)], dropped);
    }

    [Fact]
    public void PutAfterTombstoneStartsANewLife()
    {
        KeyHistory history = new("k"u8.ToArray());
        history.Put(new Revision(2, 0));
        history.Put(new Revision(3, 0));
        history.Tombstone(new Revision(4, 0));

        KeyRevision reborn = history.Put(new Revision(5, 0));

        Assert.Equal(5, reborn.CreateRevision);
        Assert.Equal(1, reborn.Version);
    }

    [Fact]
    public void TryGetBeforeSeesTheNewestLiveEntryStrictlyBefore()
    {
        KeyHistory history = WorkedExample();

        Assert.False(history.TryGetBefore(new Revision(2, 0), out _));
        Assert.True(history.TryGetBefore(new Revision(4, 0), out KeyRevision beforeFour));
        Assert.Equal(2, beforeFour.Revision.Main);
        Assert.True(history.TryGetBefore(new Revision(6, 0), out KeyRevision beforeSix));
        Assert.Equal(4, beforeSix.Revision.Main);
        Assert.False(history.TryGetBefore(new Revision(8, 0), out _)); // the delete at 6 came between
        Assert.True(history.TryGetBefore(new Revision(9, 0), out KeyRevision beforeNine));
        Assert.Equal(8, beforeNine.Revision.Main);
    }

    [Fact]
    public void SubRevisionsOrderChangesWithinOneMainRevision()
    {
        KeyHistory history = new("k"u8.ToArray());
        history.Put(new Revision(2, 0));
        history.Tombstone(new Revision(2, 1));
        history.Put(new Revision(2, 2));

        Assert.True(history.TryGet(2, out KeyRevision entry));
        Assert.Equal(new Revision(2, 2), entry.Revision);
        Assert.Equal(1, entry.Version);
        Assert.True(history.TryGetBefore(new Revision(2, 1), out KeyRevision prev));
        Assert.Equal(new Revision(2, 0), prev.Revision);
    }

    [Fact]
    public void TombstoneOfAMissingKeyIsABug()
    {
        KeyHistory history = new("k"u8.ToArray());
        Assert.Throws<InvalidOperationException>(() => history.Tombstone(new Revision(2, 0)));

        history.Put(new Revision(3, 0));
        history.Tombstone(new Revision(4, 0));
        Assert.Throws<InvalidOperationException>(() => history.Tombstone(new Revision(5, 0)));
    }

    [Fact]
    public void WritesMustMoveForward()
    {
        KeyHistory history = new("k"u8.ToArray());
        history.Put(new Revision(4, 1));

        Assert.Throws<InvalidOperationException>(() => history.Put(new Revision(4, 1)));
        Assert.Throws<InvalidOperationException>(() => history.Put(new Revision(4, 0)));
        Assert.Throws<InvalidOperationException>(() => history.Put(new Revision(3, 9)));
        Assert.Throws<InvalidOperationException>(() => history.Restore(new KeyRevision(new Revision(2, 0), 2, 1, false)));
    }

    /// <summary>
    /// Random histories compacted at random points: every read at or after the point sees what it
    /// saw before. Seeds are fixed so a failure replays; the seed is in every message.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    [InlineData(20240601)]
    public void CompactionKeepsEveryReadAtOrAfterThePoint(int seed)
    {
        Random random = new(seed);
        for (int round = 0; round < 200; round++)
        {
            KeyHistory original = new("k"u8.ToArray());
            KeyHistory compacted = new("k"u8.ToArray());
            long main = 1;
            int ops = random.Next(1, 12);
            for (int op = 0; op < ops; op++)
            {
                main += random.Next(1, 3);
                if (original.IsLive && random.Next(3) == 0)
                {
                    original.Tombstone(new Revision(main, 0));
                    compacted.Tombstone(new Revision(main, 0));
                }
                else
                {
                    original.Put(new Revision(main, 0));
                    compacted.Put(new Revision(main, 0));
                }
            }

            long at = random.Next(0, (int)main + 3);
            List<Revision> dropped = [];
            compacted.Compact(at, dropped);

            Assert.True(original.Count == compacted.Count + dropped.Count, $"seed {seed} round {round}: entries lost without being reported");
            for (long read = at; read <= main + 2; read++)
            {
                bool wantFound = original.TryGet(read, out KeyRevision want);
                bool gotFound = compacted.TryGet(read, out KeyRevision got);
                Assert.True(wantFound == gotFound && want == got, $"seed {seed} round {round}: compact({at}) changed the read at {read}");
            }

            foreach (Revision gone in dropped)
            {
                Assert.True(gone.Main <= at, $"seed {seed} round {round}: compact({at}) dropped {gone}, which is after the point");
            }
        }
    }
}
