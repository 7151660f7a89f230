using Backbone.Overlay.Netlink.Tests.Fakes;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests.Wire;

public sealed class NetlinkMessageReaderTests
{
    [Fact]
    public void ReadsEveryMessageOfAMultipartDatagram()
    {
        byte[] datagram = Replies.Concat(Replies.Link(9, 1, "lo"), Replies.Link(9, 2, "eth0"), Replies.Done(9));
        NetlinkMessageReader reader = new(datagram);
        List<(ushort Type, ushort Flags, uint Sequence)> seen = [];

        while (reader.TryRead(out NetlinkMessage message))
        {
            seen.Add((message.Type, message.Flags, message.Sequence));
        }

        Assert.Equal([(Rtnl.Message.NewLink, Rtnl.Flags.Multi, 9u), (Rtnl.Message.NewLink, Rtnl.Flags.Multi, 9u), (Rtnl.Message.Done, Rtnl.Flags.Multi, 9u)], seen);
    }

    [Fact]
    public void WalksNestedAttributes()
    {
        byte[] datagram = Replies.Link(1, 5, "vx1", kind: "vxlan", vxlanId: 4097);
        NetlinkMessageReader reader = new(datagram);
        Assert.True(reader.TryRead(out NetlinkMessage message));

        IfInfoMsg info = message.ReadFixed<IfInfoMsg>(out NetlinkAttributeReader attributes);
        List<ushort> top = [];
        string kind = "";
        uint id = 0;
        while (attributes.TryRead(out NetlinkAttribute attribute))
        {
            top.Add(attribute.Type);
            if (attribute.Type != Rtnl.Link.LinkInfo)
            {
                continue;
            }

            NetlinkAttributeReader linkInfo = attribute.Nested();
            while (linkInfo.TryRead(out NetlinkAttribute inner))
            {
                if (inner.Type == Rtnl.Link.InfoKind)
                {
                    kind = inner.AsString();
                }
                else if (inner.Type == Rtnl.Link.InfoData)
                {
                    NetlinkAttributeReader data = inner.Nested();
                    Assert.True(data.TryRead(out NetlinkAttribute vni));
                    id = vni.AsUInt32();
                }
            }
        }

        Assert.Equal(5, info.Index);
        Assert.Equal([Rtnl.Link.IfName, Rtnl.Link.Mtu, Rtnl.Link.LinkInfo], top);
        Assert.Equal("vxlan", kind);
        Assert.Equal(4097u, id);
    }

    [Fact]
    public void MasksTheNestedAndByteOrderFlagsOffTheType()
    {
        byte[] attribute = [8, 0, 18, 0x80, 1, 2, 3, 4]; // IFLA_LINKINFO | NLA_F_NESTED
        NetlinkAttributeReader reader = new(attribute);

        Assert.True(reader.TryRead(out NetlinkAttribute read));
        Assert.Equal(Rtnl.Link.LinkInfo, read.Type);
        Assert.Equal(4, read.Value.Length);
    }

    [Fact]
    public void RejectsAMessageLongerThanTheDatagram()
    {
        byte[] truncated = Replies.Link(1, 2, "eth0")[..24];

        Assert.Throws<InvalidDataException>(() =>
        {
            NetlinkMessageReader reader = new(truncated);
            reader.TryRead(out _);
        });
    }

    [Fact]
    public void RejectsAnAttributeThatRunsPastItsParent()
    {
        byte[] attributes = [8, 0, 3, 0, (byte)'a', 0, 0, 0, 12, 0, 4, 0, 1, 0];

        Assert.Throws<InvalidDataException>(() =>
        {
            NetlinkAttributeReader reader = new(attributes);
            while (reader.TryRead(out _))
            {
            }
        });
    }

    [Fact]
    public void RejectsAFixedPartLongerThanThePayload()
    {
        byte[] datagram = Replies.Message(Rtnl.Message.NewLink, 0, 1, b => b.Write(7)); // 4 bytes, ifinfomsg needs 16

        Assert.Throws<InvalidDataException>(() =>
        {
            NetlinkMessageReader reader = new(datagram);
            reader.TryRead(out NetlinkMessage message);
            message.ReadFixed<IfInfoMsg>(out _);
        });
    }
}
