using System.Text;
using Backbone.Core;
using Backbone.Store.Index;

namespace Backbone.Store.Tests.Index;

public sealed class KeyIndexTests
{
    // Keys chosen to sit on the edges of the ranges below: a prefix and its extensions, 0xff bytes,
    // the one-byte key "\0".
    private static readonly byte[][] AllKeys =
    [
        [0x00],
        "a"u8.ToArray(),
        "ab"u8.ToArray(),
        "abc"u8.ToArray(),
        [(byte)'a', 0xff],
        "b"u8.ToArray(),
        "ba"u8.ToArray(),
        "c"u8.ToArray(),
        "d"u8.ToArray(),
        [0xff],
        [0xff, 0xff],
    ];

    private static KeyIndex Build()
    {
        KeyIndex index = new();
        long main = 1;
        foreach (byte[] key in AllKeys.Reverse())
        {
            index.Put(key, new Revision(++main, 0));
        }

        return index;
    }

    private static string Show(byte[] key) =>
        key.All(b => b is >= (byte)'a' and <= (byte)'z') ? Encoding.ASCII.GetString(key) : Convert.ToHexString(key);

    private static string[] Keys(KeyIndex index, KeyRange range) => [.. index.Histories(range).Select(h => Show(h.Key))];

    [Fact]
    public void SingleKey()
    {
        KeyIndex index = Build();

        Assert.Equal(["ab"], Keys(index, KeyRange.FromRequest("ab"u8.ToArray(), [])));
        Assert.Equal(["ab"], Keys(index, KeyRange.FromRequest("ab"u8.ToArray(), null)));
        Assert.Empty(Keys(index, KeyRange.Single("aa"u8.ToArray())));
        Assert.Equal(["00"], Keys(index, KeyRange.Single([0x00])));
    }

    [Fact]
    public void HalfOpenInterval()
    {
        KeyIndex index = Build();

        Assert.Equal(["a", "ab", "abc", "61FF", "b", "ba"], Keys(index, KeyRange.FromRequest("a"u8.ToArray(), "c"u8.ToArray())));
        Assert.Equal(["ab", "abc", "61FF", "b", "ba", "c"], Keys(index, KeyRange.FromRequest("aa"u8.ToArray(), "ca"u8.ToArray())));
        Assert.Equal(["ab"], Keys(index, KeyRange.FromRequest("ab"u8.ToArray(), "abc"u8.ToArray())));
    }

    [Fact]
    public void Prefix()
    {
        KeyIndex index = Build();

        Assert.Equal(["a", "ab", "abc", "61FF"], Keys(index, KeyRange.FromRequest("a"u8.ToArray(), KeyRange.PrefixEnd("a"u8))));
        Assert.Equal(["ab", "abc"], Keys(index, KeyRange.FromRequest("ab"u8.ToArray(), KeyRange.PrefixEnd("ab"u8))));
        Assert.Equal(["61FF"], Keys(index, KeyRange.FromRequest([(byte)'a', 0xff], KeyRange.PrefixEnd([(byte)'a', 0xff]))));
        Assert.Equal(["FF", "FFFF"], Keys(index, KeyRange.FromRequest([0xff], KeyRange.PrefixEnd([0xff]))));
    }

    [Fact]
    public void RangeEndZeroMeansEveryKeyFromKey()
    {
        KeyIndex index = Build();

        Assert.Equal(["ba", "c", "d", "FF", "FFFF"], Keys(index, KeyRange.FromRequest("ba"u8.ToArray(), [0])));
        Assert.Equal(["FFFF"], Keys(index, KeyRange.FromRequest([0xff, 0xff], [0])));
        Assert.Empty(Keys(index, KeyRange.FromRequest([0xff, 0xff, 0x00], [0])));
    }

    [Fact]
    public void KeyZeroRangeEndZeroMeansEveryKey()
    {
        KeyIndex index = Build();

        Assert.Equal(AllKeys.Select(Show), Keys(index, KeyRange.FromRequest([0], [0])));
    }

    [Theory]
    [InlineData("c", "a")]
    [InlineData("c", "c")]
    [InlineData("b", "ab")]
    public void EndAtOrBeforeStartIsEmpty(string key, string rangeEnd)
    {
        KeyIndex index = Build();

        Assert.Empty(Keys(index, KeyRange.FromRequest(Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(rangeEnd))));
    }

    [Fact]
    public void HistoriesIncludeDeletedKeys()
    {
        KeyIndex index = new();
        index.Put("a"u8.ToArray(), new Revision(2, 0));
        index.Put("b"u8.ToArray(), new Revision(3, 0));
        index.Tombstone("a"u8.ToArray(), new Revision(4, 0));

        KeyHistory[] found = [.. index.Histories(KeyRange.FromRequest("a"u8.ToArray(), "z"u8.ToArray()))];

        Assert.Equal(2, found.Length);
        Assert.False(found[0].IsLive);
        Assert.True(found[0].TryGet(3, out _));
        Assert.True(found[1].IsLive);
    }

    [Fact]
    public void TombstoneOfAnUnindexedKeyIsABug()
    {
        KeyIndex index = new();

        Assert.Throws<InvalidOperationException>(() => index.Tombstone("nope"u8.ToArray(), new Revision(2, 0)));
    }

    [Fact]
    public void FindIsByContentNotReference()
    {
        KeyIndex index = new();
        index.Put("a"u8.ToArray(), new Revision(2, 0));
        index.Put("a"u8.ToArray(), new Revision(3, 0));

        Assert.Equal(1, index.KeyCount);
        KeyHistory? found = index.Find("a"u8);
        Assert.NotNull(found);
        Assert.Equal(2, found.Latest.Version);
        Assert.Null(index.Find("b"u8));
    }

    [Fact]
    public void CompactDropsDeadKeysAndReturnsEveryRemovedRevision()
    {
        KeyIndex index = new();
        index.Put("gone"u8.ToArray(), new Revision(2, 0));
        index.Put("kept"u8.ToArray(), new Revision(3, 0));
        index.Tombstone("gone"u8.ToArray(), new Revision(4, 0));
        index.Put("kept"u8.ToArray(), new Revision(5, 0));
        index.Put("late"u8.ToArray(), new Revision(6, 0));

        List<Revision> removed = index.Compact(5);

        Assert.Equal([new Revision(2, 0), new Revision(4, 0), new Revision(3, 0)], removed);
        Assert.Equal(2, index.KeyCount);
        Assert.Null(index.Find("gone"u8));
        Assert.Equal(["kept", "late"], Keys(index, KeyRange.FromRequest([0], [0])));
        Assert.True(index.Find("kept"u8)!.TryGet(5, out KeyRevision kept));
        Assert.Equal(2, kept.Version);
        Assert.Equal(3, kept.CreateRevision);
    }

    [Fact]
    public void CompactKeepsATombstoneAtThePointThenDropsIt()
    {
        KeyIndex index = new();
        index.Put("a"u8.ToArray(), new Revision(2, 0));
        index.Tombstone("a"u8.ToArray(), new Revision(3, 0));

        Assert.Equal([new Revision(2, 0)], index.Compact(3));
        Assert.Equal(1, index.KeyCount);
        Assert.Equal([new Revision(3, 0)], index.Compact(4));
        Assert.Equal(0, index.KeyCount);
    }
}
