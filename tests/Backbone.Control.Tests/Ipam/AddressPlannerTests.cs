using Backbone.Control.Ipam;
using Backbone.Control.Networks;

namespace Backbone.Control.Tests.Ipam;

public sealed class AddressPlannerTests
{
    [Fact]
    public void SkipsNetworkBroadcastAndGatewayAddresses()
    {
        NetworkRecord n = Network("10.0.9.0/29", "10.0.9.1", "10.0.9.0/29");
        Assert.Equal(5UL, AddressPlanner.Capacity(n)); // .2-.6
        var used = new HashSet<uint>();
        var handed = new List<string>();
        while (AddressPlanner.FirstFree(n, used) is uint next)
        {
            used.Add(next);
            handed.Add(Ipv4Cidr.FormatAddress(next));
        }

        Assert.Equal(["10.0.9.2", "10.0.9.3", "10.0.9.4", "10.0.9.5", "10.0.9.6"], handed);
        Assert.Equal(["10.0.9.2", "10.0.9.3", "10.0.9.4"], AddressPlanner.Free(n, new HashSet<uint>(), 3).Select(Ipv4Cidr.FormatAddress));
        Assert.Empty(AddressPlanner.Free(n, used, 64));
    }

    [Fact]
    public void AGatewayInTheMiddleAndANarrowRange()
    {
        NetworkRecord n = Network("192.168.50.0/24", "192.168.50.129", "192.168.50.128/30");
        Assert.Equal(3UL, AddressPlanner.Capacity(n)); // .128, .130, .131: the range's own edges are usable, only the subnet's are not
        Assert.Equal("192.168.50.128", Ipv4Cidr.FormatAddress(AddressPlanner.FirstFree(n, new HashSet<uint>())!.Value));
        uint first = AddressPlanner.FirstFree(n, new HashSet<uint>())!.Value;
        Assert.Equal("192.168.50.130", Ipv4Cidr.FormatAddress(AddressPlanner.FirstFree(n, new HashSet<uint> { first })!.Value));
    }

    [Fact]
    public void AFreedAddressIsHandedOutAgainFirst()
    {
        NetworkRecord n = Network("10.0.0.0/24", "10.0.0.1", "10.0.0.0/24");
        Assert.True(Ipv4Cidr.TryParseAddress("10.0.0.2", out uint two));
        Assert.True(Ipv4Cidr.TryParseAddress("10.0.0.4", out uint four));
        Assert.Equal("10.0.0.3", Ipv4Cidr.FormatAddress(AddressPlanner.FirstFree(n, new HashSet<uint> { two, four })!.Value));
        Assert.Equal(253UL, AddressPlanner.Capacity(n));
    }

    private static NetworkRecord Network(string subnet, string gateway, string range) => new()
    {
        Id = "n1",
        Name = "n",
        Driver = "overlay",
        Subnet = subnet,
        Gateway = gateway,
        IpRange = range,
    };
}
