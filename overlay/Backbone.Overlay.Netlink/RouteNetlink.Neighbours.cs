using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// Neighbours and bridge FDB entries, both RTM_NEWNEIGH: what an overlay programs per remote
/// container so no ARP or flooding crosses hosts (Docker's and flannel's static entries).
/// </summary>
public sealed partial class RouteNetlink
{
    /// <summary>Like `ip neigh add ADDRESS lladdr MAC dev LINK nud permanent`; fails with EEXIST if present.</summary>
    public void AddNeighbour(int linkIndex, IPAddress address, PhysicalAddress mac)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linkIndex);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(mac);
        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.NewNeighbour, Rtnl.Flags.Create | Rtnl.Flags.Excl);
        request.Write(new NdMsg
        {
            Family = (byte)(address.AddressFamily == AddressFamily.InterNetworkV6 ? Rtnl.AfInet6 : Rtnl.AfInet),
            Index = linkIndex,
            State = Rtnl.Neighbour.StatePermanent,
        });
        request.AddAddress(Rtnl.Neighbour.Destination, address);
        request.Add(Rtnl.Neighbour.LinkLayerAddress, mac.GetAddressBytes());
        _socket.Execute(request, "add neighbour", $"{address} lladdr {mac} on link {linkIndex}");
    }

    /// <summary>
    /// Like `bridge fdb add MAC dev VXLAN dst REMOTE self permanent`: frames for
    /// <paramref name="mac"/> leaving vxlan device <paramref name="linkIndex"/> go to VTEP
    /// <paramref name="remote"/>. NTF_SELF puts the entry in the vxlan device's own table (not a
    /// bridge's). Fails with EEXIST if an entry for that MAC exists.
    /// </summary>
    public void AddFdb(int linkIndex, PhysicalAddress mac, IPAddress remote)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linkIndex);
        ArgumentNullException.ThrowIfNull(mac);
        ArgumentNullException.ThrowIfNull(remote);
        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.NewNeighbour, Rtnl.Flags.Create | Rtnl.Flags.Excl);
        request.Write(new NdMsg
        {
            Family = Rtnl.AfBridge,
            Index = linkIndex,
            State = Rtnl.Neighbour.StatePermanent,
            Flags = Rtnl.Neighbour.FlagSelf,
        });
        request.Add(Rtnl.Neighbour.LinkLayerAddress, mac.GetAddressBytes());
        request.AddAddress(Rtnl.Neighbour.Destination, remote);
        _socket.Execute(request, "add fdb entry", $"{mac} dst {remote} on link {linkIndex}");
    }
}
