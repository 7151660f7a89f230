using System.Net;
using System.Net.NetworkInformation;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>Decodes RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE messages (the kernel's dump entries) into our records; RTM_NEWNEIGH in <c>RtnlDecoder.Neighbours.cs</c>.</summary>
internal static partial class RtnlDecoder
{
    public static bool TryDecodeLink(in NetlinkMessage message, out Link link)
    {
        link = null!;
        if (message.Type != Rtnl.Message.NewLink)
        {
            return false;
        }

        IfInfoMsg info = message.ReadFixed<IfInfoMsg>(out NetlinkAttributeReader attributes);
        string name = "";
        string kind = "";
        int mtu = 0;
        int master = 0;
        VxlanInfo? vxlan = null;
        PhysicalAddress? mac = null;
        while (attributes.TryRead(out NetlinkAttribute attribute))
        {
            switch (attribute.Type)
            {
                case Rtnl.Link.IfName:
                    name = attribute.AsString();
                    break;
                case Rtnl.Link.Mtu:
                    mtu = (int)attribute.AsUInt32();
                    break;
                case Rtnl.Link.Master:
                    master = (int)attribute.AsUInt32();
                    break;
                case Rtnl.Link.Address:
                    mac = new PhysicalAddress(attribute.Value.ToArray());
                    break;
                case Rtnl.Link.LinkInfo:
                    ReadLinkInfo(attribute.Nested(), out kind, out vxlan);
                    break;
            }
        }

        link = new Link(info.Index, name, kind, mtu, mac, master, (info.Flags & Rtnl.IffUp) != 0, vxlan);
        return true;
    }

    public static bool TryDecodeAddress(in NetlinkMessage message, out InterfaceAddress address)
    {
        address = null!;
        if (message.Type != Rtnl.Message.NewAddress)
        {
            return false;
        }

        IfAddrMsg info = message.ReadFixed<IfAddrMsg>(out NetlinkAttributeReader attributes);
        IPAddress? local = null;
        IPAddress? peer = null;
        while (attributes.TryRead(out NetlinkAttribute attribute))
        {
            if (attribute.Type == Rtnl.Address.Local)
            {
                local = attribute.AsAddress();
            }
            else if (attribute.Type == Rtnl.Address.Peer)
            {
                peer = attribute.AsAddress();
            }
        }

        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the same except on
        // point-to-point links, where it is the far end. IPv6 sends only IFA_ADDRESS.
        IPAddress? own = local ?? peer;
        if (own is null)
        {
            return false;
        }

        address = new InterfaceAddress((int)info.Index, own, info.PrefixLength);
        return true;
    }

    /// <summary>Keeps only unicast routes of the main table: a dump also returns the local and other tables.</summary>
    public static bool TryDecodeRoute(in NetlinkMessage message, out Route route)
    {
        route = null!;
        if (message.Type != Rtnl.Message.NewRoute)
        {
            return false;
        }

        RtMsg info = message.ReadFixed<RtMsg>(out NetlinkAttributeReader attributes);
        uint table = info.Table;
        IPAddress? destination = null;
        IPAddress? gateway = null;
        int linkIndex = 0;
        while (attributes.TryRead(out NetlinkAttribute attribute))
        {
            switch (attribute.Type)
            {
                case Rtnl.Route.Table:
                    table = attribute.AsUInt32(); // the full id; rtm_table holds only ids below 256
                    break;
                case Rtnl.Route.Destination:
                    destination = attribute.AsAddress();
                    break;
                case Rtnl.Route.Gateway:
                    gateway = attribute.AsAddress();
                    break;
                case Rtnl.Route.OutputInterface:
                    linkIndex = (int)attribute.AsUInt32();
                    break;
            }
        }

        if (table != Rtnl.Route.TableMain || info.Type != Rtnl.Route.TypeUnicast)
        {
            return false;
        }

        route = new Route(info.DestinationLength == 0 ? null : destination, info.DestinationLength, gateway, linkIndex);
        return true;
    }

    /// <summary>IFLA_LINKINFO: the kind, then kind-specific data (for vxlan, its settings).</summary>
    private static void ReadLinkInfo(NetlinkAttributeReader linkInfo, out string kind, out VxlanInfo? vxlan)
    {
        kind = "";
        vxlan = null;
        ReadOnlySpan<byte> data = default;
        while (linkInfo.TryRead(out NetlinkAttribute attribute))
        {
            if (attribute.Type == Rtnl.Link.InfoKind)
            {
                kind = attribute.AsString();
            }
            else if (attribute.Type == Rtnl.Link.InfoData)
            {
                data = attribute.Value; // read once the kind is known: the data's attribute numbers depend on it
            }
        }

        if (kind == "vxlan")
        {
            vxlan = ReadVxlan(new NetlinkAttributeReader(data));
        }
    }

    /// <summary>
    /// IFLA_INFO_DATA of a vxlan device. The kernel sends the ID, port, learning and proxy
    /// always, and local and group only when set; an attribute missing here reads as 0 or off.
    /// </summary>
    private static VxlanInfo ReadVxlan(NetlinkAttributeReader data)
    {
        int vni = 0;
        int port = 0;
        IPAddress? local = null;
        IPAddress? group = null;
        bool learning = false;
        bool proxy = false;
        while (data.TryRead(out NetlinkAttribute attribute))
        {
            switch (attribute.Type)
            {
                case Rtnl.Link.VxlanId:
                    vni = (int)attribute.AsUInt32();
                    break;
                case Rtnl.Link.VxlanPort:
                    port = attribute.AsUInt16BigEndian();
                    break;
                case Rtnl.Link.VxlanLocal or Rtnl.Link.VxlanLocal6:
                    local = attribute.AsAddress();
                    break;
                case Rtnl.Link.VxlanGroup or Rtnl.Link.VxlanGroup6:
                    group = attribute.AsAddress();
                    break;
                case Rtnl.Link.VxlanLearning:
                    learning = attribute.AsUInt8() != 0;
                    break;
                case Rtnl.Link.VxlanProxy:
                    proxy = attribute.AsUInt8() != 0;
                    break;
            }
        }

        return new VxlanInfo(vni, port, local, group, learning, proxy);
    }
}
