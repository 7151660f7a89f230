using System.Net;
using System.Text;
using Backbone.Overlay.Netlink.Tests.Fakes;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests;

/// <summary>What the link requests put on the wire, against a scripted kernel that acks everything.</summary>
public sealed class RouteNetlinkLinksTests
{
    private readonly ScriptedTransport _kernel = new((_, seq) => [Replies.Ack(seq)]);

    [Fact]
    public void CreateVxlanSendsLearningAndProxyExplicitlyAndNoGroup()
    {
        using RouteNetlink netlink = new(new NetlinkSocket(_kernel));

        netlink.CreateVxlan("vx42", 42, IPAddress.Parse("192.0.2.1"), 4789, 1450, learning: false, proxy: true);

        SentRequest<IfInfoMsg> sent = Requests.Parse<IfInfoMsg>(Assert.Single(_kernel.Sent));
        Assert.Equal(Rtnl.Message.NewLink, sent.Type);
        Assert.Equal(Rtnl.Flags.Request | Rtnl.Flags.Ack | Rtnl.Flags.Create | Rtnl.Flags.Excl, sent.Flags);
        Dictionary<ushort, byte[]> info = Requests.Nested(sent.Attributes[Rtnl.Link.LinkInfo]);
        Assert.Equal("vxlan\0"u8.ToArray(), info[Rtnl.Link.InfoKind]);
        Dictionary<ushort, byte[]> data = Requests.Nested(info[Rtnl.Link.InfoData]);
        Assert.Equal(
            [Rtnl.Link.VxlanId, Rtnl.Link.VxlanLocal, Rtnl.Link.VxlanLearning, Rtnl.Link.VxlanProxy, Rtnl.Link.VxlanPort],
            data.Keys.Order()); // no IFLA_VXLAN_GROUP: the far ends come from FDB entries
        Assert.Equal(new byte[] { 42, 0, 0, 0 }, data[Rtnl.Link.VxlanId]);
        Assert.Equal(new byte[] { 192, 0, 2, 1 }, data[Rtnl.Link.VxlanLocal]);
        Assert.Equal(new byte[] { 0x12, 0xb5 }, data[Rtnl.Link.VxlanPort]); // 4789, big-endian
        Assert.Equal(new byte[] { 0 }, data[Rtnl.Link.VxlanLearning]);
        Assert.Equal(new byte[] { 1 }, data[Rtnl.Link.VxlanProxy]);
    }

    [Fact]
    public void CreateVxlanCalledAsBeforeLeavesProxyOff()
    {
        using RouteNetlink netlink = new(new NetlinkSocket(_kernel));

        netlink.CreateVxlan("vx42", 42, IPAddress.Parse("192.0.2.1"), 4789, 1450, true);

        Dictionary<ushort, byte[]> data = VxlanData(_kernel.Sent[0]);
        Assert.Equal(new byte[] { 1 }, data[Rtnl.Link.VxlanLearning]);
        Assert.Equal(new byte[] { 0 }, data[Rtnl.Link.VxlanProxy]);
    }

    [Fact]
    public void AnIPv6LocalGoesInLocal6()
    {
        using RouteNetlink netlink = new(new NetlinkSocket(_kernel));

        netlink.CreateVxlan("vx6", 7, IPAddress.Parse("fd00::1"), 4789, 1430, proxy: true);

        Dictionary<ushort, byte[]> data = VxlanData(_kernel.Sent[0]);
        Assert.False(data.ContainsKey(Rtnl.Link.VxlanLocal));
        Assert.Equal(IPAddress.Parse("fd00::1").GetAddressBytes(), data[Rtnl.Link.VxlanLocal6]);
        Assert.Equal(1430u, BitConverter.ToUInt32(Requests.Parse<IfInfoMsg>(_kernel.Sent[0]).Attributes[Rtnl.Link.Mtu]));
        Assert.Equal("vx6\0", Encoding.UTF8.GetString(Requests.Parse<IfInfoMsg>(_kernel.Sent[0]).Attributes[Rtnl.Link.IfName]));
    }

    private static Dictionary<ushort, byte[]> VxlanData(byte[] request) =>
        Requests.Nested(Requests.Nested(Requests.Parse<IfInfoMsg>(request).Attributes[Rtnl.Link.LinkInfo])[Rtnl.Link.InfoData]);
}
