using Backbone.Core;

namespace Backbone.Store.Tests.Index;

public sealed class KeyRangeTests
{
    [Theory]
    [InlineData(new byte[] { 0x61 }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x61, 0x62 }, new byte[] { 0x61, 0x63 })]
    [InlineData(new byte[] { 0x61, 0xff }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x61, 0xff, 0xff }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0x00 }, new byte[] { 0x01 })]
    [InlineData(new byte[] { 0xff }, new byte[] { 0x00 })]
    [InlineData(new byte[] { 0xff, 0xff }, new byte[] { 0x00 })]
    [InlineData(new byte[0], new byte[] { 0x00 })]
    public void PrefixEnd(byte[] prefix, byte[] expected)
    {
        Assert.Equal(expected, KeyRange.PrefixEnd(prefix));
    }

    [Fact]
    public void PrefixEndDoesNotChangeItsInput()
    {
        byte[] prefix = [0x61, 0xff];

        _ = KeyRange.PrefixEnd(prefix);

        Assert.Equal([0x61, 0xff], prefix);
    }

    [Fact]
    public void EmptyRangeEndIsASingleKey()
    {
        KeyRange range = KeyRange.FromRequest("ab"u8.ToArray(), []);

        Assert.True(range.IsSingleKey);
        Assert.True(range.Contains("ab"u8));
        Assert.False(range.Contains("abc"u8));
        Assert.False(range.Contains("a"u8));
    }

    [Fact]
    public void RangeEndZero()
    {
        KeyRange fromB = KeyRange.FromRequest("b"u8.ToArray(), [0]);
        KeyRange all = KeyRange.FromRequest([0], [0]);

        Assert.False(fromB.Contains("a"u8));
        Assert.True(fromB.Contains("b"u8));
        Assert.True(fromB.Contains([0xff, 0xff, 0xff]));
        Assert.Null(fromB.End);
        Assert.True(all.Contains([0x00]));
        Assert.True(all.Contains([0x01]));
        Assert.True(all.Contains([0xff]));
        Assert.Empty(all.Start);
    }

    [Fact]
    public void HalfOpen()
    {
        KeyRange range = KeyRange.FromRequest("a"u8.ToArray(), "c"u8.ToArray());

        Assert.True(range.Contains("a"u8));
        Assert.True(range.Contains("bzzz"u8));
        Assert.False(range.Contains("c"u8));
        Assert.False(range.Contains([0x60, 0xff]));
    }

    [Fact]
    public void EndAtOrBeforeStartContainsNothing()
    {
        Assert.False(KeyRange.FromRequest("c"u8.ToArray(), "a"u8.ToArray()).Contains("c"u8));
        Assert.False(KeyRange.FromRequest("c"u8.ToArray(), "c"u8.ToArray()).Contains("c"u8));
    }

    [Theory]
    [InlineData("a", "c", "b", "d", true)]
    [InlineData("a", "c", "c", "d", false)]
    [InlineData("a", "c", "b", "", true)]
    [InlineData("a", "c", "c", "", false)]
    [InlineData("b", "", "b", "", true)]
    [InlineData("b", "", "c", "", false)]
    [InlineData("x", "\0", "a", "c", false)]
    [InlineData("x", "\0", "a", "y", true)]
    public void Overlaps(string key1, string end1, string key2, string end2, bool expected)
    {
        KeyRange one = KeyRange.FromRequest(System.Text.Encoding.ASCII.GetBytes(key1), System.Text.Encoding.ASCII.GetBytes(end1));
        KeyRange two = KeyRange.FromRequest(System.Text.Encoding.ASCII.GetBytes(key2), System.Text.Encoding.ASCII.GetBytes(end2));

        Assert.Equal(expected, one.Overlaps(two));
        Assert.Equal(expected, two.Overlaps(one));
    }
}
