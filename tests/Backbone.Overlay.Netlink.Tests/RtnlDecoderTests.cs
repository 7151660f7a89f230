using System.Net;
using System.Net.NetworkInformation;
using Backbone.Overlay.Netlink.Tests.Fakes;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests;

public sealed class RtnlDecoderTests
{
    [Fact]
    public void DecodesALinkWithMacMasterAndKind()
    {
        byte[] datagram = Replies.Message(Rtnl.Message.NewLink, 0, 1, b =>
        {
            b.Write(new IfInfoMsg { Index = 12, Flags = Rtnl.IffUp | 0x1000 });
            b.AddString(Rtnl.Link.IfName, "veth0");
            b.AddUInt32(Rtnl.Link.Mtu, 1450);
            b.Add(Rtnl.Link.Address, [0x02, 0x42, 10, 1, 0, 2]);
            b.AddUInt32(Rtnl.Link.Master, 4);
            int info = b.BeginNested(Rtnl.Link.LinkInfo);
            b.AddString(Rtnl.Link.InfoKind, "veth");
            b.EndNested(info);
        });

        Assert.Equal(new Link(12, "veth0", "veth", 1450, PhysicalAddress.Parse("02-42-0A-01-00-02"), 4, true, null), DecodeLink(datagram));
    }

    [Fact]
    public void ALinkWithoutLinkInfoHasAnEmptyKind()
    {
        byte[] datagram = Replies.Message(Rtnl.Message.NewLink, 0, 1, b =>
        {
            b.Write(new IfInfoMsg { Index = 1 });
            b.AddString(Rtnl.Link.IfName, "lo");
        });

        Link link = DecodeLink(datagram);

        Assert.Equal("", link.Kind);
        Assert.False(link.Up);
        Assert.Null(link.Mac);
        Assert.Null(link.VxlanId);
    }

    [Fact]
    public void DecodesAVxlanDevicesSettings()
    {
        byte[] datagram = LinkWithData("vxlan", b =>
        {
            b.AddUInt32(Rtnl.Link.VxlanId, 4097);
            b.AddAddress(Rtnl.Link.VxlanLocal, IPAddress.Parse("10.73.0.1"));
            b.AddUInt8(5 /* IFLA_VXLAN_TTL: not ours to report */, 64);
            b.AddUInt8(Rtnl.Link.VxlanLearning, 0);
            b.AddUInt8(Rtnl.Link.VxlanProxy, 1);
            b.AddUInt16BigEndian(Rtnl.Link.VxlanPort, 4789);
        });

        Link link = DecodeLink(datagram);

        Assert.Equal(new VxlanInfo(4097, 4789, IPAddress.Parse("10.73.0.1"), null, Learning: false, Proxy: true), link.Vxlan);
        Assert.Equal(4097, link.VxlanId);
    }

    [Fact]
    public void DecodesAnIPv6VxlanWithAGroupAndLearning()
    {
        byte[] datagram = LinkWithData("vxlan", b =>
        {
            b.AddUInt32(Rtnl.Link.VxlanId, 0xFFFFFF);
            b.AddAddress(Rtnl.Link.VxlanGroup6, IPAddress.Parse("ff05::42"));
            b.AddAddress(Rtnl.Link.VxlanLocal6, IPAddress.Parse("fd00::1"));
            b.AddUInt8(Rtnl.Link.VxlanLearning, 1);
            b.AddUInt8(Rtnl.Link.VxlanProxy, 0);
            b.AddUInt16BigEndian(Rtnl.Link.VxlanPort, 8472);
        });

        Assert.Equal(new VxlanInfo(0xFFFFFF, 8472, IPAddress.Parse("fd00::1"), IPAddress.Parse("ff05::42"), Learning: true, Proxy: false), DecodeLink(datagram).Vxlan);
    }

    [Fact]
    public void OnlyAVxlanKindsDataIsReadAsVxlanSettings()
    {
        // The numbers inside IFLA_INFO_DATA belong to the kind: 1 is VETH_INFO_PEER for a veth.
        byte[] datagram = LinkWithData("veth", b => b.AddUInt32(Rtnl.Link.VxlanId, 4097));

        Link link = DecodeLink(datagram);

        Assert.Null(link.Vxlan);
        Assert.Null(link.VxlanId);
    }

    [Fact]
    public void PrefersIfaLocalOverIfaAddress()
    {
        byte[] pointToPoint = Replies.Message(Rtnl.Message.NewAddress, 0, 1, b =>
        {
            b.Write(new IfAddrMsg { Family = Rtnl.AfInet, PrefixLength = 32, Index = 3 });
            b.AddAddress(Rtnl.Address.Peer, IPAddress.Parse("10.9.9.9"));
            b.AddAddress(Rtnl.Address.Local, IPAddress.Parse("10.0.0.1"));
        });
        byte[] v6 = Replies.Message(Rtnl.Message.NewAddress, 0, 1, b =>
        {
            b.Write(new IfAddrMsg { Family = Rtnl.AfInet6, PrefixLength = 64, Index = 3 });
            b.AddAddress(Rtnl.Address.Peer, IPAddress.Parse("fd00::5"));
        });

        Assert.Equal(new InterfaceAddress(3, IPAddress.Parse("10.0.0.1"), 32), Decode<InterfaceAddress>(pointToPoint, RtnlDecoder.TryDecodeAddress));
        Assert.Equal(new InterfaceAddress(3, IPAddress.Parse("fd00::5"), 64), Decode<InterfaceAddress>(v6, RtnlDecoder.TryDecodeAddress));
    }

    [Fact]
    public void DecodesMainTableRoutesAndSkipsOthers()
    {
        byte[] defaultRoute = RouteMessage(Rtnl.Route.TableMain, Rtnl.Route.TypeUnicast, 0, null, "10.1.0.1");
        byte[] connected = RouteMessage(Rtnl.Route.TableMain, Rtnl.Route.TypeUnicast, 24, "10.1.0.0", null);
        byte[] local = RouteMessage(255, 2 /* RTN_LOCAL */, 32, "10.1.0.2", null);

        Assert.Equal(new Route(null, 0, IPAddress.Parse("10.1.0.1"), 7), Decode<Route>(defaultRoute, RtnlDecoder.TryDecodeRoute));
        Assert.Equal(new Route(IPAddress.Parse("10.1.0.0"), 24, null, 7), Decode<Route>(connected, RtnlDecoder.TryDecodeRoute));
        Assert.Null(Decode<Route>(local, RtnlDecoder.TryDecodeRoute));
    }

    [Fact]
    public void BroadcastSetsEveryHostBit()
    {
        Assert.Equal(IPAddress.Parse("10.1.2.255"), RouteNetlink.Broadcast(IPAddress.Parse("10.1.2.3"), 24));
        Assert.Equal(IPAddress.Parse("10.1.2.3"), RouteNetlink.Broadcast(IPAddress.Parse("10.1.2.2"), 31));
        Assert.Equal(IPAddress.Parse("255.255.255.255"), RouteNetlink.Broadcast(IPAddress.Parse("10.1.2.3"), 0));
        Assert.Equal(IPAddress.Parse("10.1.2.3"), RouteNetlink.Broadcast(IPAddress.Parse("10.1.2.3"), 32));
    }

    private static byte[] RouteMessage(byte table, byte type, byte prefixLength, string? destination, string? gateway) =>
        Replies.Message(Rtnl.Message.NewRoute, 0, 1, b =>
        {
            b.Write(new RtMsg { Family = Rtnl.AfInet, DestinationLength = prefixLength, Table = table, Type = type });
            b.AddUInt32(Rtnl.Route.Table, table);
            if (destination is not null)
            {
                b.AddAddress(Rtnl.Route.Destination, IPAddress.Parse(destination));
            }

            if (gateway is not null)
            {
                b.AddAddress(Rtnl.Route.Gateway, IPAddress.Parse(gateway));
            }

            b.AddUInt32(Rtnl.Route.OutputInterface, 7);
        });

    private static byte[] LinkWithData(string kind, Action<NetlinkMessageBuilder> data) =>
        Replies.Message(Rtnl.Message.NewLink, 0, 1, b =>
        {
            b.Write(new IfInfoMsg { Index = 9 });
            b.AddString(Rtnl.Link.IfName, "vx1");
            int info = b.BeginNested(Rtnl.Link.LinkInfo);
            b.AddString(Rtnl.Link.InfoKind, kind);
            int nested = b.BeginNested(Rtnl.Link.InfoData);
            data(b);
            b.EndNested(nested);
            b.EndNested(info);
        });

    private static Link DecodeLink(byte[] datagram) => Decode<Link>(datagram, RtnlDecoder.TryDecodeLink)!;

    private static T? Decode<T>(byte[] datagram, NetlinkDecoder<T> decode) where T : class
    {
        NetlinkMessageReader reader = new(datagram);
        Assert.True(reader.TryRead(out NetlinkMessage message));
        return decode(message, out T value) ? value : null;
    }
}
