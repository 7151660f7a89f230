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

    private static Link DecodeLink(byte[] datagram) => Decode<Link>(datagram, RtnlDecoder.TryDecodeLink)!;

    private static T? Decode<T>(byte[] datagram, NetlinkDecoder<T> decode) where T : class
    {
        NetlinkMessageReader reader = new(datagram);
        Assert.True(reader.TryRead(out NetlinkMessage message));
        return decode(message, out T value) ? value : null;
    }
}
