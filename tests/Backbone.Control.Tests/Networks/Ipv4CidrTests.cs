using Backbone.Control.Networks;

namespace Backbone.Control.Tests.Networks;

public sealed class Ipv4CidrTests
{
    [Theory]
    [InlineData("10.0.9.0/24", "10.0.9.0/24", 256UL)]
    [InlineData("0.0.0.0/0", "0.0.0.0/0", 4294967296UL)]
    [InlineData("192.168.1.4/30", "192.168.1.4/30", 4UL)]
    [InlineData("10.1.2.3/32", "10.1.2.3/32", 1UL)]
    public void ParsesCanonicalPrefixes(string text, string canonical, ulong size)
    {
        Assert.True(Ipv4Cidr.TryParse(text, out Ipv4Cidr? cidr, out string? error), error);
        Assert.Equal(canonical, cidr.Value.ToString());
        Assert.Equal(size, cidr.Value.Size);
    }

    [Theory]
    [InlineData("10.0.9.1/24", "host bits set: the subnet is 10.0.9.0/24")]
    [InlineData("10.0.9.0", "not a subnet in CIDR form")]
    [InlineData("10.0.9.0/33", "prefix length must be a number from 0 to 32")]
    [InlineData("10.0.9.0/-1", "prefix length must be a number from 0 to 32")]
    [InlineData("10.0.9/24", "is not an IPv4 address")]
    [InlineData("fd00::/64", "IPv6 subnets are not supported yet")]
    [InlineData("300.1.1.0/24", "is not an IPv4 address")]
    public void RefusesWithTheReason(string text, string reason)
    {
        Assert.False(Ipv4Cidr.TryParse(text, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void OverlapAndContainment()
    {
        Ipv4Cidr big = Parse("10.0.0.0/16");
        Ipv4Cidr inside = Parse("10.0.9.0/24");
        Ipv4Cidr beside = Parse("10.1.0.0/24");
        Assert.True(big.Overlaps(inside));
        Assert.True(inside.Overlaps(big));
        Assert.True(big.Contains(inside));
        Assert.False(inside.Contains(big));
        Assert.False(big.Overlaps(beside));
        Assert.True(inside.Contains(inside.Network + 255));
        Assert.False(inside.Contains(inside.Network + 256));
        Assert.Equal("10.0.9.255", Ipv4Cidr.FormatAddress(inside.Last));
    }

    internal static Ipv4Cidr Parse(string text) =>
        Ipv4Cidr.TryParse(text, out Ipv4Cidr? cidr, out string? error) ? cidr.Value : throw new ArgumentException(error);
}
