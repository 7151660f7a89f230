using System.Net;
using System.Net.NetworkInformation;
using Backbone.Overlay.Netlink.Tests.Fakes;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests;

public sealed class RtnlDecoderNeighboursTests
{
    [Fact]
    public void AnEmptyLinkLayerAddressReadsAsNone()
    {
        // A neighbour on a device without link-layer addresses (a tun) carries a zero-length NDA_LLADDR.
        byte[] datagram = Replies.Message(Rtnl.Message.NewNeighbour, 0, 1, b =>
        {
            b.Write(new NdMsg { Family = Rtnl.AfInet, Index = 4, State = 0x40 });
            b.AddAddress(Rtnl.Neighbour.Destination, IPAddress.Parse("10.0.0.9"));
            b.Add(Rtnl.Neighbour.LinkLayerAddress, []);
        });

        Assert.True(Decode<Neighbour>(datagram, RtnlDecoder.TryDecodeNeighbour, out Neighbour neighbour));
        Assert.Equal(new Neighbour(4, IPAddress.Parse("10.0.0.9"), null, NeighbourState.NoArp, NeighbourFlags.None), neighbour);
    }

    [Fact]
    public void EachDecoderSkipsTheOtherTablesEntries()
    {
        byte[] arp = Replies.Neighbour(1, Rtnl.AfInet, 7, 0x80, 0, "10.74.0.5", "02:42:0a:4a:00:05");
        byte[] fdb = Replies.Neighbour(1, Rtnl.AfBridge, 7, 0x80, Rtnl.Neighbour.FlagSelf, "192.0.2.77", "02:42:0a:4a:00:05");

        Assert.False(Decode<FdbEntry>(arp, RtnlDecoder.TryDecodeFdbEntry, out _));
        Assert.False(Decode<Neighbour>(fdb, RtnlDecoder.TryDecodeNeighbour, out _));
        Assert.True(Decode<FdbEntry>(fdb, RtnlDecoder.TryDecodeFdbEntry, out FdbEntry entry));
        Assert.Equal(new FdbEntry(7, PhysicalAddress.Parse("02-42-0A-4A-00-05"), IPAddress.Parse("192.0.2.77"), NeighbourState.Permanent, NeighbourFlags.Self), entry);
    }

    [Fact]
    public void EntriesWithoutTheirKeyAreSkipped()
    {
        byte[] neighbourWithoutAddress = Replies.Neighbour(1, Rtnl.AfInet, 7, 0x80, 0, null, "02:42:0a:4a:00:05");
        byte[] fdbWithoutMac = Replies.Neighbour(1, Rtnl.AfBridge, 7, 0x80, Rtnl.Neighbour.FlagSelf, "192.0.2.77", null);

        Assert.False(Decode<Neighbour>(neighbourWithoutAddress, RtnlDecoder.TryDecodeNeighbour, out _));
        Assert.False(Decode<FdbEntry>(fdbWithoutMac, RtnlDecoder.TryDecodeFdbEntry, out _));
    }

    private static bool Decode<T>(byte[] datagram, NetlinkDecoder<T> decode, out T value)
    {
        NetlinkMessageReader reader = new(datagram);
        Assert.True(reader.TryRead(out NetlinkMessage message));
        return decode(message, out value);
    }
}
