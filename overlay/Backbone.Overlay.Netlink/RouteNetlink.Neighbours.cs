using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// Neighbours: RTM_GETNEIGH, RTM_NEWNEIGH, RTM_DELNEIGH for AF_INET and AF_INET6. An overlay
/// programs one permanent entry per remote container on its vxlan device, so that the device's
/// proxy answers ARP and neighbour solicitations locally and none cross hosts (Docker's static
/// entries). Bridge FDB entries, the same messages for AF_BRIDGE, are in <c>RouteNetlink.Fdb.cs</c>.
/// </summary>
public sealed partial class RouteNetlink
{
    /// <summary>Every IPv4 and IPv6 neighbour entry in the namespace (`ip neigh show nud all`), permanent or learned.</summary>
    public IReadOnlyList<Neighbour> GetNeighbours() => QueryNeighbours(0, "neighbours");

    /// <summary>The neighbour entries of link <paramref name="linkIndex"/> (`ip neigh show nud all dev LINK`).</summary>
    public IReadOnlyList<Neighbour> GetNeighbours(int linkIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linkIndex);
        return QueryNeighbours(linkIndex, $"neighbours of link {linkIndex}");
    }

    /// <summary>Like `ip neigh add ADDRESS lladdr MAC dev LINK nud permanent`; fails with EEXIST if an entry for the address exists.</summary>
    public void AddNeighbour(int linkIndex, IPAddress address, PhysicalAddress mac) =>
        _socket.Execute(
            NewNeighbourRequest(linkIndex, address, mac, Rtnl.Flags.Create | Rtnl.Flags.Excl),
            "add neighbour",
            NeighbourTarget(linkIndex, address, mac),
            errno => errno == Errno.EEXIST ? "an entry for this address exists on the link; ReplaceNeighbour overwrites it" : null);

    /// <summary>
    /// Like `ip neigh replace ADDRESS lladdr MAC dev LINK nud permanent`: creates the entry, or
    /// makes an existing one (learned, stale, or permanent with another MAC) this permanent one.
    /// Applying the same entry again changes nothing, so an agent can re-apply its whole state.
    /// </summary>
    public void ReplaceNeighbour(int linkIndex, IPAddress address, PhysicalAddress mac) =>
        _socket.Execute(
            NewNeighbourRequest(linkIndex, address, mac, Rtnl.Flags.Create | Rtnl.Flags.Replace),
            "replace neighbour",
            NeighbourTarget(linkIndex, address, mac));

    /// <summary>Like `ip neigh del ADDRESS dev LINK`.</summary>
    /// <returns>False if the link had no entry for <paramref name="address"/> (the kernel's ENOENT), so removing twice is not an error.</returns>
    /// <exception cref="NetlinkException">Any other refusal, such as ENODEV for a missing link.</exception>
    public bool DeleteNeighbour(int linkIndex, IPAddress address) =>
        DeleteEntry(DeleteNeighbourRequest(linkIndex, address), "delete neighbour", $"{address} on link {linkIndex}");

    internal static NetlinkMessageBuilder DeleteNeighbourRequest(int linkIndex, IPAddress address)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linkIndex);
        ArgumentNullException.ThrowIfNull(address);
        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.DeleteNeighbour);
        request.Write(new NdMsg { Family = NeighbourFamily(address), Index = linkIndex });
        request.AddAddress(Rtnl.Neighbour.Destination, address);
        return request;
    }

    /// <summary>
    /// An AF_UNSPEC dump covers the ARP and NDP tables (not the bridge FDB: that is AF_BRIDGE's).
    /// NDA_IFINDEX asks the kernel to filter by link; the decoder filters again, since a kernel
    /// older than the filter returns every link's entries.
    /// </summary>
    private List<Neighbour> QueryNeighbours(int linkIndex, string target) => _socket.Query(
        () =>
        {
            NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.GetNeighbour, Rtnl.Flags.Dump);
            request.Write(new NdMsg { Family = Rtnl.AfUnspec });
            if (linkIndex != 0)
            {
                request.AddUInt32(Rtnl.Neighbour.IfIndex, (uint)linkIndex);
            }

            return request;
        },
        (in NetlinkMessage message, out Neighbour neighbour) =>
            RtnlDecoder.TryDecodeNeighbour(message, out neighbour) && (linkIndex == 0 || neighbour.LinkIndex == linkIndex),
        "dump",
        target);

    /// <summary>A permanent entry: never probed or aged out, and kept when the link loses carrier.</summary>
    internal static NetlinkMessageBuilder NewNeighbourRequest(int linkIndex, IPAddress address, PhysicalAddress mac, ushort flags)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linkIndex);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(mac);
        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.NewNeighbour, flags);
        request.Write(new NdMsg { Family = NeighbourFamily(address), Index = linkIndex, State = Rtnl.Neighbour.StatePermanent });
        request.AddAddress(Rtnl.Neighbour.Destination, address);
        request.Add(Rtnl.Neighbour.LinkLayerAddress, mac.GetAddressBytes());
        return request;
    }

    private static byte NeighbourFamily(IPAddress address) =>
        (byte)(address.AddressFamily == AddressFamily.InterNetworkV6 ? Rtnl.AfInet6 : Rtnl.AfInet);

    internal static string NeighbourTarget(int linkIndex, IPAddress address, PhysicalAddress mac) =>
        $"{address} lladdr {MacText.Format(mac)} on link {linkIndex}";

    /// <summary>Sends a delete; the kernel's ENOENT (nothing to delete) becomes false.</summary>
    private bool DeleteEntry(NetlinkMessageBuilder request, string operation, string target)
    {
        try
        {
            _socket.Execute(request, operation, target);
            return true;
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENOENT)
        {
            return false;
        }
    }
}
