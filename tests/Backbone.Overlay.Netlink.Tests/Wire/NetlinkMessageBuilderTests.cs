using System.Net;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests.Wire;

public sealed class NetlinkMessageBuilderTests
{
    [Fact]
    public void LaysOutHeaderFixedPartAndAttributesAsTheKernelExpects()
    {
        NetlinkMessageBuilder builder = new(Rtnl.Message.NewLink, Rtnl.Flags.Request | Rtnl.Flags.Ack);
        builder.Write(new IfInfoMsg { Index = 7 });
        builder.AddString(Rtnl.Link.IfName, "br0");
        builder.AddUInt32(Rtnl.Link.Mtu, 1450);

        byte[] bytes = builder.Finish(sequence: 42).ToArray();

        Assert.Equal(
            new byte[]
            {
                48, 0, 0, 0, 16, 0, 5, 0, 42, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: length 48, RTM_NEWLINK, REQUEST|ACK, seq 42, port 0
                0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ifinfomsg: index 7
                8, 0, 3, 0, (byte)'b', (byte)'r', (byte)'0', 0, // IFLA_IFNAME "br0\0"
                8, 0, 4, 0, 0xaa, 0x05, 0, 0, // IFLA_MTU 1450
            },
            bytes);
    }

    [Fact]
    public void PadsEachAttributeToFourBytesWithZeros()
    {
        NetlinkMessageBuilder builder = new(Rtnl.Message.NewLink, 0);
        builder.AddString(Rtnl.Link.IfName, "ab"); // 4 + 3 bytes: length 7, one pad byte
        builder.AddUInt8(Rtnl.Link.VxlanLearning, 1); // length 5, three pad bytes
        builder.AddUInt32(Rtnl.Link.Mtu, 9000);

        byte[] bytes = builder.Finish(1).ToArray();

        Assert.Equal(16 + 8 + 8 + 8, bytes.Length);
        Assert.Equal(new byte[] { 7, 0, 3, 0, (byte)'a', (byte)'b', 0, 0 }, bytes[16..24]);
        Assert.Equal(new byte[] { 5, 0, 7, 0, 1, 0, 0, 0 }, bytes[24..32]);
        Assert.Equal(new byte[] { 8, 0, 4, 0 }, bytes[32..36]); // the next attribute starts on the boundary
    }

    [Fact]
    public void NestedAttributeLengthCoversItsChildrenAndTheirPadding()
    {
        NetlinkMessageBuilder builder = new(Rtnl.Message.NewLink, 0);
        int linkInfo = builder.BeginNested(Rtnl.Link.LinkInfo);
        builder.AddString(Rtnl.Link.InfoKind, "veth"); // 4 + 5 = 9, padded to 12
        int data = builder.BeginNested(Rtnl.Link.InfoData);
        int peer = builder.BeginNested(Rtnl.Link.VethInfoPeer);
        builder.Write(new IfInfoMsg()); // 16
        builder.AddString(Rtnl.Link.IfName, "ve1"); // 8
        builder.EndNested(peer);
        builder.EndNested(data);
        builder.EndNested(linkInfo);

        byte[] bytes = builder.Finish(1).ToArray();

        Assert.Equal(new byte[] { 4 + 12 + 4 + 4 + 16 + 8, 0, 18, 0 }, bytes[16..20]); // IFLA_LINKINFO, 48
        Assert.Equal(new byte[] { 9, 0, 1, 0 }, bytes[20..24]); // IFLA_INFO_KIND, unpadded length 9
        Assert.Equal(new byte[] { 4 + 4 + 16 + 8, 0, 2, 0 }, bytes[32..36]); // IFLA_INFO_DATA, 32
        Assert.Equal(new byte[] { 4 + 16 + 8, 0, 1, 0 }, bytes[36..40]); // VETH_INFO_PEER, 28
        Assert.Equal(16 + 48, bytes.Length);
    }

    [Fact]
    public void WritesAddressesAndPortsInNetworkByteOrder()
    {
        NetlinkMessageBuilder builder = new(Rtnl.Message.NewLink, 0);
        builder.AddAddress(Rtnl.Link.VxlanLocal, IPAddress.Parse("10.1.2.3"));
        builder.AddUInt16BigEndian(Rtnl.Link.VxlanPort, 4789);
        builder.AddAddress(Rtnl.Link.VxlanLocal6, IPAddress.Parse("fd00::1"));

        byte[] bytes = builder.Finish(1).ToArray();

        Assert.Equal(new byte[] { 8, 0, 4, 0, 10, 1, 2, 3 }, bytes[16..24]);
        Assert.Equal(new byte[] { 6, 0, 15, 0, 0x12, 0xb5, 0, 0 }, bytes[24..32]); // 4789 = 0x12b5
        Assert.Equal(new byte[] { 20, 0, 17, 0, 0xfd, 0 }, bytes[32..38]);
        Assert.Equal(32 + 20, bytes.Length);
    }

    [Fact]
    public void RefusesToFinishWithAnOpenNest()
    {
        NetlinkMessageBuilder builder = new(Rtnl.Message.NewLink, 0);
        builder.BeginNested(Rtnl.Link.LinkInfo);

        Assert.Throws<InvalidOperationException>(() => builder.Finish(1).ToArray());
    }

    [Fact]
    public void StopsAtTheMessageSizeBound()
    {
        NetlinkMessageBuilder builder = new(Rtnl.Message.NewLink, 0);
        byte[] chunk = new byte[1000];

        Assert.Throws<InvalidOperationException>(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                builder.Add(Rtnl.Link.Address, chunk);
            }
        });
        Assert.True(builder.Length <= NetlinkMessageBuilder.MaxMessageBytes);
    }

    [Fact]
    public void FixedStructsHaveTheKernelsSizes()
    {
        Assert.Equal(16, System.Runtime.CompilerServices.Unsafe.SizeOf<NetlinkHeader>());
        Assert.Equal(16, System.Runtime.CompilerServices.Unsafe.SizeOf<IfInfoMsg>());
        Assert.Equal(8, System.Runtime.CompilerServices.Unsafe.SizeOf<IfAddrMsg>());
        Assert.Equal(12, System.Runtime.CompilerServices.Unsafe.SizeOf<RtMsg>());
        Assert.Equal(12, System.Runtime.CompilerServices.Unsafe.SizeOf<NdMsg>());
        Assert.Equal(12, System.Runtime.InteropServices.Marshal.SizeOf<LibC.SockaddrNetlink>());
    }
}
