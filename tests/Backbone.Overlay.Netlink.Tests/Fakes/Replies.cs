using System.Runtime.InteropServices;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink.Tests.Fakes;

/// <summary>Builds the datagrams the kernel would send, with the production builder (its layout is tested on its own).</summary>
internal static class Replies
{
    public static byte[] Message(ushort type, ushort flags, uint sequence, Action<NetlinkMessageBuilder>? body = null)
    {
        NetlinkMessageBuilder builder = new(type, flags);
        body?.Invoke(builder);
        return builder.Finish(sequence).ToArray();
    }

    public static byte[] Ack(uint sequence) => Error(sequence, 0);

    /// <summary>An NLMSG_ERROR as a NETLINK_CAP_ACK + NETLINK_EXT_ACK socket gets it: the request header echoed, then the kernel's text.</summary>
    public static byte[] Error(uint sequence, int errno, string? kernelMessage = null)
    {
        ushort flags = (ushort)(Rtnl.Flags.Capped | (kernelMessage is null ? 0 : Rtnl.Flags.AckTlvs));
        return Message(Rtnl.Message.Error, flags, sequence, b =>
        {
            b.Write(-errno);
            b.Write(new NetlinkHeader { Length = 40, Type = Rtnl.Message.NewLink, Flags = 0x605, Sequence = sequence });
            if (kernelMessage is not null)
            {
                b.AddString(Rtnl.ExtAckMessage, kernelMessage);
            }
        });
    }

    public static byte[] Done(uint sequence, int errno = 0) =>
        Message(Rtnl.Message.Done, Rtnl.Flags.Multi, sequence, b => b.Write(-errno));

    public static byte[] Link(uint sequence, int index, string name, string kind = "", int? vxlanId = null, ushort flags = Rtnl.Flags.Multi) =>
        Message(Rtnl.Message.NewLink, flags, sequence, b =>
        {
            b.Write(new IfInfoMsg { Index = index, Flags = Rtnl.IffUp });
            b.AddString(Rtnl.Link.IfName, name);
            b.AddUInt32(Rtnl.Link.Mtu, 1450);
            if (kind.Length > 0)
            {
                int info = b.BeginNested(Rtnl.Link.LinkInfo);
                b.AddString(Rtnl.Link.InfoKind, kind);
                if (vxlanId is int id)
                {
                    int data = b.BeginNested(Rtnl.Link.InfoData);
                    b.AddUInt32(Rtnl.Link.VxlanId, (uint)id);
                    b.EndNested(data);
                }

                b.EndNested(info);
            }
        });

    /// <summary>An RTM_NEWNEIGH dump entry: a neighbour (AF_INET/AF_INET6) or an FDB entry (AF_BRIDGE).</summary>
    public static byte[] Neighbour(uint sequence, byte family, int index, ushort state, byte flags, string? destination, string? mac) =>
        Message(Rtnl.Message.NewNeighbour, Rtnl.Flags.Multi, sequence, b =>
        {
            b.Write(new NdMsg { Family = family, Index = index, State = state, Flags = flags });
            if (mac is not null)
            {
                b.Add(Rtnl.Neighbour.LinkLayerAddress, System.Net.NetworkInformation.PhysicalAddress.Parse(mac).GetAddressBytes());
            }

            if (destination is not null)
            {
                b.AddAddress(Rtnl.Neighbour.Destination, System.Net.IPAddress.Parse(destination));
            }

            b.Add(3 /* NDA_CACHEINFO: not ours to report */, new byte[16]);
        });

    public static byte[] Concat(params byte[][] messages) => [.. messages.SelectMany(m => m)];

    public static uint SequenceOf(ReadOnlySpan<byte> request) => MemoryMarshal.Read<NetlinkHeader>(request).Sequence;
}
