using Backbone.Control.Networks;

namespace Backbone.Control.Tests.Networks;

public sealed class NetworkPlannerTests
{
    private static readonly List<NetworkRecord> None = [];

    [Fact]
    public void DefaultsComeFromThePoolAndTheSubnet()
    {
        NetworkRecord n = Plan(new NetworkSpec { Name = "appnet" }, None);
        Assert.Equal("10.0.0.0/24", n.Subnet);
        Assert.Equal("10.0.0.1", n.Gateway);
        Assert.Equal("10.0.0.0/24", n.IpRange);
        Assert.Equal(4096, n.Vni);
        Assert.Equal(1450, n.Mtu);
        Assert.Equal("overlay", n.Driver);

        NetworkRecord secure = Plan(new NetworkSpec { Name = "secure", Encrypted = true }, [n]);
        Assert.Equal("10.0.1.0/24", secure.Subnet);
        Assert.Equal(4097, secure.Vni);
        Assert.Equal(1424, secure.Mtu);
    }

    [Fact]
    public void ExplicitSettingsAreKept()
    {
        NetworkRecord n = Plan(new NetworkSpec { Name = "web.front-1", Subnet = "192.168.50.0/24", Gateway = "192.168.50.254", IpRange = "192.168.50.128/25", Mtu = 1400, Attachable = true, Internal = true }, None);
        Assert.Equal(("192.168.50.0/24", "192.168.50.254", "192.168.50.128/25", 1400), (n.Subnet, n.Gateway, n.IpRange, n.Mtu));
        Assert.True(n.Attachable && n.Internal);
    }

    [Theory]
    [InlineData("", "", "", "", "not a valid network name")]
    [InlineData("-x", "", "", "", "not a valid network name")]
    [InlineData("ok", "10.0.9.1/24", "", "", "host bits set: the subnet is 10.0.9.0/24")]
    [InlineData("ok", "bogus", "", "", "--subnet: \"bogus\" is not a subnet in CIDR form")]
    [InlineData("ok", "10.0.9.0/30", "", "", "prefix length must be 8-29")]
    [InlineData("ok", "127.0.0.0/24", "", "", "overlaps loopback")]
    [InlineData("ok", "10.0.9.0/24", "10.0.8.1", "", "must be a host address inside 10.0.9.0/24")]
    [InlineData("ok", "10.0.9.0/24", "10.0.9.255", "", "not its network or broadcast address")]
    [InlineData("ok", "10.0.9.0/24", "nope", "", "--gateway \"nope\" is not an IPv4 address")]
    [InlineData("ok", "10.0.9.0/24", "", "10.0.8.0/25", "--ip-range 10.0.8.0/25 is not inside the subnet 10.0.9.0/24")]
    [InlineData("ok", "", "10.0.0.1", "", "--gateway and --ip-range need --subnet")]
    public void BadInputIsRefusedWithTheReason(string name, string subnet, string gateway, string ipRange, string reason)
    {
        ControlException e = Assert.Throws<ControlException>(() => Plan(new NetworkSpec { Name = name, Subnet = subnet, Gateway = gateway, IpRange = ipRange }, None));
        Assert.Equal(ControlError.InvalidArgument, e.Error);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicatesOverlapsAndUnknownDriversAreRefused()
    {
        NetworkRecord existing = Plan(new NetworkSpec { Name = "appnet", Subnet = "10.0.0.0/16" }, None);

        ControlException duplicate = Assert.Throws<ControlException>(() => Plan(new NetworkSpec { Name = "appnet" }, [existing]));
        Assert.Equal(ControlError.AlreadyExists, duplicate.Error);

        ControlException overlap = Assert.Throws<ControlException>(() => Plan(new NetworkSpec { Name = "other", Subnet = "10.0.9.0/24" }, [existing]));
        Assert.Equal(ControlError.FailedPrecondition, overlap.Error);
        Assert.Contains("overlaps network \"appnet\" (10.0.0.0/16)", overlap.Message, StringComparison.Ordinal);

        ControlException driver = Assert.Throws<ControlException>(() => Plan(new NetworkSpec { Name = "b", Driver = "bridge" }, None));
        Assert.Contains("only \"overlay\"", driver.Message, StringComparison.Ordinal);

        ControlException mtu = Assert.Throws<ControlException>(() => Plan(new NetworkSpec { Name = "m", Mtu = 100 }, None));
        Assert.Contains("--mtu 100 is out of range", mtu.Message, StringComparison.Ordinal);

        // The pool skips the existing /16: the next free /24 is 10.1.0.0.
        Assert.Equal("10.1.0.0/24", Plan(new NetworkSpec { Name = "next" }, [existing]).Subnet);
    }

    [Fact]
    public void RecordsRoundTripThroughMessagePack()
    {
        NetworkRecord n = Plan(new NetworkSpec { Name = "rt", Encrypted = true }, None);
        Assert.Equal(n, NetworkRecord.Deserialize(n.Serialize()));
        KeyRingRecord ring = KeyRingRecord.Create(n.Id, 1_000);
        KeyRingRecord back = KeyRingRecord.Deserialize(ring.Serialize());
        Assert.Equal(3, back.Keys.Count);
        Assert.Equal(ring.Primary.Key, back.Primary.Key);
        Assert.Equal(2, back.Primary.LamportTime);
        Assert.All(back.Keys, k => Assert.Equal((16, 4), (k.Key.Length, k.Salt.Length)));
        Assert.NotEqual(back.Keys[0].Key, back.Keys[1].Key);
    }

    [Fact]
    public void RotationRetiresTheOldestKeyAndPromotesTheNext()
    {
        KeyRingRecord ring = KeyRingRecord.Create("net", 1_000);
        KeyRingRecord next = ring.Rotate(2_000);
        Assert.Equal(ring.Keys[2].Key, next.Primary.Key); // every host already receives with it
        Assert.Equal(ring.Keys[1].Key, next.Keys[0].Key);
        Assert.Equal([2L, 3L, 4L], next.Keys.Select(k => k.LamportTime));
        Assert.Equal(2_000, next.RotatedUnixMs);
        Assert.DoesNotContain(next.Keys, k => k.Key.SequenceEqual(ring.Keys[0].Key));
    }

    private static NetworkRecord Plan(NetworkSpec spec, IReadOnlyList<NetworkRecord> existing) =>
        NetworkPlanner.Plan(spec, existing, SubnetPool.Default, "id" + spec.Name.Length, 1_700_000_000_000);
}
