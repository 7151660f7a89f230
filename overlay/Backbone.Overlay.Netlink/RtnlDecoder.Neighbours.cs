using System.Net;
using System.Net.NetworkInformation;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// RTM_NEWNEIGH dump entries: one message type for two tables, told apart by ndm_family
/// (AF_INET/AF_INET6 neighbours, AF_BRIDGE forwarding entries), so each decoder skips the other's.
/// </summary>
internal static partial class RtnlDecoder
{
    public static bool TryDecodeNeighbour(in NetlinkMessage message, out Neighbour neighbour)
    {
        neighbour = null!;
        if (message.Type != Rtnl.Message.NewNeighbour)
        {
            return false;
        }

        NdMsg info = message.ReadFixed<NdMsg>(out NetlinkAttributeReader attributes);
        if (info.Family is not (Rtnl.AfInet or Rtnl.AfInet6))
        {
            return false;
        }

        ReadNeighbourAttributes(attributes, out IPAddress? address, out PhysicalAddress? mac);
        if (address is null)
        {
            return false; // every neighbour entry has one; a message without is not an entry
        }

        neighbour = new Neighbour(info.Index, address, mac, (NeighbourState)info.State, (NeighbourFlags)info.Flags);
        return true;
    }

    public static bool TryDecodeFdbEntry(in NetlinkMessage message, out FdbEntry entry)
    {
        entry = null!;
        if (message.Type != Rtnl.Message.NewNeighbour)
        {
            return false;
        }

        NdMsg info = message.ReadFixed<NdMsg>(out NetlinkAttributeReader attributes);
        if (info.Family != Rtnl.AfBridge)
        {
            return false;
        }

        ReadNeighbourAttributes(attributes, out IPAddress? remote, out PhysicalAddress? mac);
        if (mac is null)
        {
            return false; // an FDB entry is keyed by its MAC
        }

        entry = new FdbEntry(info.Index, mac, remote, (NeighbourState)info.State, (NeighbourFlags)info.Flags);
        return true;
    }

    /// <summary>NDA_DST and NDA_LLADDR; an empty NDA_LLADDR (a device without link-layer addresses) reads as none.</summary>
    private static void ReadNeighbourAttributes(NetlinkAttributeReader attributes, out IPAddress? destination, out PhysicalAddress? mac)
    {
        destination = null;
        mac = null;
        while (attributes.TryRead(out NetlinkAttribute attribute))
        {
            if (attribute.Type == Rtnl.Neighbour.Destination)
            {
                destination = attribute.AsAddress();
            }
            else if (attribute.Type == Rtnl.Neighbour.LinkLayerAddress && !attribute.Value.IsEmpty)
            {
                mac = new PhysicalAddress(attribute.Value.ToArray());
            }
        }
    }
}
