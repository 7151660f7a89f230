using Backbone.Control.Networks;

namespace Backbone.Control.Tests.Networks;

public sealed class PoolTests
{
    [Fact]
    public void TheDefaultPoolHandsOutTheLowestFreeSlash24()
    {
        Assert.Equal("10.0.0.0/24", SubnetPool.Default.Allocate([])!.Value.ToString());
        Assert.Equal("10.0.1.0/24", SubnetPool.Default.Allocate([Cidr("10.0.0.0/24")])!.Value.ToString());
        Assert.Equal("10.0.1.0/24", SubnetPool.Default.Allocate([Cidr("10.0.0.0/24"), Cidr("10.0.2.0/24")])!.Value.ToString());
    }

    [Fact]
    public void SkipsPastLargerAndUnalignedNetworks()
    {
        // A /16 at the start and a /30 inside 10.1.0.0/24: the first free /24 is 10.1.1.0.
        Ipv4Cidr? next = SubnetPool.Default.Allocate([Cidr("10.0.0.0/16"), Cidr("10.1.0.8/30"), Cidr("192.168.0.0/24")]);
        Assert.Equal("10.1.1.0/24", next!.Value.ToString());
    }

    [Fact]
    public void ANetworkCoveringThePoolUsesItUp()
    {
        Assert.Null(SubnetPool.Default.Allocate([Cidr("10.0.0.0/8")]));
        Assert.Null(SubnetPool.Default.Allocate([Cidr("0.0.0.0/1")]));
        var small = new SubnetPool(Cidr("172.20.0.0/23"), 24);
        Assert.Equal("172.20.1.0/24", small.Allocate([Cidr("172.20.0.0/24")])!.Value.ToString());
        Assert.Null(small.Allocate([Cidr("172.20.0.0/24"), Cidr("172.20.1.128/25")]));
    }

    [Fact]
    public void VnisStartAt4096AndFillGaps()
    {
        Assert.Equal(4096, VniPool.Allocate([]));
        Assert.Equal(4097, VniPool.Allocate([4096, 1, 2]));
        Assert.Equal(4098, VniPool.Allocate([4099, 4096, 4097, 4097]));
        Assert.Equal(VniPool.Last, VniPool.Allocate(Enumerable.Range(VniPool.First, VniPool.Last - VniPool.First)));
        Assert.Null(VniPool.Allocate(Enumerable.Range(VniPool.First, VniPool.Last - VniPool.First + 1)));
    }

    private static Ipv4Cidr Cidr(string text) => Ipv4CidrTests.Parse(text);
}
