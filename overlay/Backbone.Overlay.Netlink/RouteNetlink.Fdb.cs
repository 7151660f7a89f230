using System.Net;
using System.Net.NetworkInformation;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// Forwarding-database entries: RTM_GETNEIGH, RTM_NEWNEIGH, RTM_DELNEIGH for AF_BRIDGE. An
/// overlay programs one per remote container on its vxlan device (MAC → remote VTEP), so with
/// learning off no frame is flooded to find where a MAC lives (Docker's and flannel's static entries).
/// </summary>
public sealed partial class RouteNetlink
{
    /// <summary>
    /// The FDB entries `bridge fdb show dev LINK` lists for link <paramref name="linkIndex"/>:
    /// its own (<see cref="NeighbourFlags.Self"/>: a vxlan device's MAC → VTEP entries) and, when
    /// it is a bridge port, the bridge's entries for it (without Self).
    /// </summary>
    public IReadOnlyList<FdbEntry> GetFdb(int linkIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linkIndex);

        // The dump takes an ifinfomsg, not an ndmsg: without NETLINK_GET_STRICT_CHK the kernel
        // reads the port to filter by from ifi_index (what iproute2's `bridge fdb show dev`
        // sends). The decoder filters again, as the neighbour dump does.
        return _socket.Query(
            () =>
            {
                NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.GetNeighbour, Rtnl.Flags.Dump);
                request.Write(new IfInfoMsg { Family = Rtnl.AfBridge, Index = linkIndex });
                return request;
            },
            (in NetlinkMessage message, out FdbEntry entry) =>
                RtnlDecoder.TryDecodeFdbEntry(message, out entry) && entry.LinkIndex == linkIndex,
            "dump",
            $"fdb of link {linkIndex}");
    }

    /// <summary>
    /// Like `bridge fdb add MAC dev VXLAN dst REMOTE self permanent`: frames for
    /// <paramref name="mac"/> leaving vxlan device <paramref name="linkIndex"/> go to VTEP
    /// <paramref name="remote"/>. NTF_SELF puts the entry in the vxlan device's own table (not a
    /// bridge's). Fails with EEXIST if an entry for that MAC exists.
    /// </summary>
    public void AddFdb(int linkIndex, PhysicalAddress mac, IPAddress remote) =>
        _socket.Execute(
            NewFdbRequest(linkIndex, mac, remote, Rtnl.Flags.Create | Rtnl.Flags.Excl),
            "add fdb entry",
            FdbTarget(linkIndex, mac, remote),
            errno => errno == Errno.EEXIST ? "an entry for this MAC exists on the device; ReplaceFdb points it at the new remote" : FdbHint(errno));

    /// <summary>
    /// Like `bridge fdb replace MAC dev VXLAN dst REMOTE self permanent`: creates the entry, or
    /// points an existing one at <paramref name="remote"/> instead of its old VTEP (a container
    /// that moved hosts). Applying the same entry again changes nothing. The kernel replaces only
    /// unicast MACs: the all-zeros and multicast entries hold several remotes and fail with EOPNOTSUPP.
    /// </summary>
    public void ReplaceFdb(int linkIndex, PhysicalAddress mac, IPAddress remote) =>
        _socket.Execute(
            NewFdbRequest(linkIndex, mac, remote, Rtnl.Flags.Create | Rtnl.Flags.Replace),
            "replace fdb entry",
            FdbTarget(linkIndex, mac, remote),
            ReplaceFdbHint);

    internal static string? ReplaceFdbHint(int errno) =>
        errno == Errno.EOPNOTSUPP ? "the kernel replaces unicast MACs only (the all-zeros and multicast entries hold several remotes)" : FdbHint(errno);

    /// <summary>
    /// Like `bridge fdb del MAC dev VXLAN [dst REMOTE] self`: removes the device's own entry for
    /// <paramref name="mac"/>, or with <paramref name="remote"/> only that remote of it. The
    /// kernel acks a remote the entry does not have without removing anything.
    /// </summary>
    /// <returns>False if the device had no entry for <paramref name="mac"/> (the kernel's ENOENT), so removing twice is not an error.</returns>
    /// <exception cref="NetlinkException">Any other refusal, such as ENODEV for a missing link.</exception>
    public bool DeleteFdb(int linkIndex, PhysicalAddress mac, IPAddress? remote = null) =>
        DeleteEntry(DeleteFdbRequest(linkIndex, mac, remote), "delete fdb entry", DeleteFdbTarget(linkIndex, mac, remote));

    internal static NetlinkMessageBuilder DeleteFdbRequest(int linkIndex, PhysicalAddress mac, IPAddress? remote)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linkIndex);
        ArgumentNullException.ThrowIfNull(mac);
        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.DeleteNeighbour);
        request.Write(new NdMsg { Family = Rtnl.AfBridge, Index = linkIndex, Flags = Rtnl.Neighbour.FlagSelf });
        request.Add(Rtnl.Neighbour.LinkLayerAddress, mac.GetAddressBytes());
        if (remote is not null)
        {
            request.AddAddress(Rtnl.Neighbour.Destination, remote);
        }

        return request;
    }

    internal static string DeleteFdbTarget(int linkIndex, PhysicalAddress mac, IPAddress? remote) =>
        remote is null ? $"{MacText.Format(mac)} on link {linkIndex}" : FdbTarget(linkIndex, mac, remote);

    /// <summary>NUD_PERMANENT, as `bridge fdb ... permanent` and Docker's entries: the driver's ageing never removes it.</summary>
    internal static NetlinkMessageBuilder NewFdbRequest(int linkIndex, PhysicalAddress mac, IPAddress remote, ushort flags)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linkIndex);
        ArgumentNullException.ThrowIfNull(mac);
        ArgumentNullException.ThrowIfNull(remote);
        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.NewNeighbour, flags);
        request.Write(new NdMsg
        {
            Family = Rtnl.AfBridge,
            Index = linkIndex,
            State = Rtnl.Neighbour.StatePermanent,
            Flags = Rtnl.Neighbour.FlagSelf,
        });
        request.Add(Rtnl.Neighbour.LinkLayerAddress, mac.GetAddressBytes());
        request.AddAddress(Rtnl.Neighbour.Destination, remote);
        return request;
    }

    internal static string FdbTarget(int linkIndex, PhysicalAddress mac, IPAddress remote) =>
        $"{MacText.Format(mac)} dst {remote} on link {linkIndex}";

    /// <summary>The vxlan driver's refusal of a remote of the other IP family, which the generic text leaves unexplained.</summary>
    internal static string? FdbHint(int errno) =>
        errno == Errno.EAFNOSUPPORT ? "the remote is not of the vxlan device's address family (its local address's)" : null;
}
