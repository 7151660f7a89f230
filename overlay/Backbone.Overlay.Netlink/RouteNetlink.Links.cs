using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>Links: RTM_GETLINK, RTM_NEWLINK (create and change), RTM_DELLINK.</summary>
public sealed partial class RouteNetlink
{
    /// <summary>Every link in the namespace (an RTM_GETLINK dump).</summary>
    public IReadOnlyList<Link> GetLinks() => _socket.Query<Link>(
        () =>
        {
            NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.GetLink, Rtnl.Flags.Dump);
            request.Write(new IfInfoMsg { Family = Rtnl.AfUnspec });
            return request;
        },
        RtnlDecoder.TryDecodeLink,
        "dump",
        "links");

    /// <summary>The link named <paramref name="name"/> (an RTM_GETLINK by IFLA_IFNAME), or null.</summary>
    public Link? FindLink(string name)
    {
        Names.CheckLinkName(name, nameof(name));
        try
        {
            List<Link> found = _socket.Query<Link>(
                () =>
                {
                    NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.GetLink);
                    request.Write(new IfInfoMsg { Family = Rtnl.AfUnspec });
                    request.AddString(Rtnl.Link.IfName, name);
                    return request;
                },
                RtnlDecoder.TryDecodeLink,
                "get link",
                name);
            return found.Count == 0 ? null : found[0];
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENODEV)
        {
            return null;
        }
    }

    /// <summary>Like `ip link add NAME mtu MTU type bridge`. The link starts down.</summary>
    public void CreateBridge(string name, int mtu)
    {
        NetlinkMessageBuilder request = CreateLinkRequest(name, nameof(name), mtu);
        int linkInfo = request.BeginNested(Rtnl.Link.LinkInfo);
        request.AddString(Rtnl.Link.InfoKind, "bridge");
        request.EndNested(linkInfo);
        _socket.Execute(request, "create bridge", name);
    }

    /// <summary>
    /// Like `ip link add NAME mtu MTU type veth peer name PEER mtu MTU [netns NS]`: the peer is
    /// created directly in <paramref name="peerNamespace"/> (an fd from
    /// <see cref="NetworkNamespace.Open"/>), so it never appears in this namespace. Both ends start down.
    /// </summary>
    public void CreateVethPair(string name, string peerName, int mtu, SafeHandle? peerNamespace = null)
    {
        Names.CheckLinkName(peerName, nameof(peerName));
        NetlinkMessageBuilder request = CreateLinkRequest(name, nameof(name), mtu);
        WithFd(peerNamespace, fd =>
        {
            int linkInfo = request.BeginNested(Rtnl.Link.LinkInfo);
            request.AddString(Rtnl.Link.InfoKind, "veth");
            int data = request.BeginNested(Rtnl.Link.InfoData);

            // VETH_INFO_PEER holds a whole link description: an ifinfomsg, then its attributes.
            int peer = request.BeginNested(Rtnl.Link.VethInfoPeer);
            request.Write(new IfInfoMsg { Family = Rtnl.AfUnspec });
            request.AddString(Rtnl.Link.IfName, peerName);
            request.AddUInt32(Rtnl.Link.Mtu, (uint)mtu);
            if (fd is uint nsFd)
            {
                request.AddUInt32(Rtnl.Link.NetNsFd, nsFd);
            }

            request.EndNested(peer);
            request.EndNested(data);
            request.EndNested(linkInfo);
            _socket.Execute(request, "create veth", $"{name} (peer {peerName})");
        });
    }

    /// <summary>
    /// Like `ip link add NAME mtu MTU type vxlan id VNI local LOCAL dstport PORT [no]learning
    /// [no]proxy`, with no remote or group: the far ends come from FDB entries
    /// (<see cref="ReplaceFdb"/>). With <paramref name="proxy"/> the device answers ARP requests
    /// and IPv6 neighbour solicitations itself from the neighbour table
    /// (<see cref="ReplaceNeighbour"/>), so none cross to other hosts; with learning off, only
    /// programmed FDB entries say where a MAC lives. Both are sent explicitly, so the device is
    /// as asked whatever the kernel's defaults. The kernel cannot change the VNI, port or proxy of
    /// an existing device: compare <see cref="Link.Vxlan"/> and recreate it on a difference.
    /// The device's UDP socket opens in the namespace it is created in, which it keeps when moved.
    /// </summary>
    public void CreateVxlan(string name, int vni, IPAddress local, int port, int mtu, bool learning = false, bool proxy = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vni);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vni, 0xFFFFFF); // 24 bits on the wire
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue);
        ArgumentNullException.ThrowIfNull(local);

        NetlinkMessageBuilder request = CreateLinkRequest(name, nameof(name), mtu);
        int linkInfo = request.BeginNested(Rtnl.Link.LinkInfo);
        request.AddString(Rtnl.Link.InfoKind, "vxlan");
        int data = request.BeginNested(Rtnl.Link.InfoData);
        request.AddUInt32(Rtnl.Link.VxlanId, (uint)vni);
        request.AddAddress(local.AddressFamily == AddressFamily.InterNetworkV6 ? Rtnl.Link.VxlanLocal6 : Rtnl.Link.VxlanLocal, local);
        request.AddUInt16BigEndian(Rtnl.Link.VxlanPort, (ushort)port); // network byte order, unlike the other numbers
        request.AddUInt8(Rtnl.Link.VxlanLearning, learning ? (byte)1 : (byte)0);
        request.AddUInt8(Rtnl.Link.VxlanProxy, proxy ? (byte)1 : (byte)0);
        request.EndNested(data);
        request.EndNested(linkInfo);
        _socket.Execute(request, "create vxlan", name);
    }

    /// <summary>Like `ip link set dev LINK up`.</summary>
    public void SetUp(int index) => _socket.Execute(SetLinkRequest(index, Rtnl.IffUp, Rtnl.IffUp), "set up", LinkTarget(index));

    /// <summary>Like `ip link set dev LINK down` (needed before <see cref="Rename"/>).</summary>
    public void SetDown(int index) => _socket.Execute(SetLinkRequest(index, 0, Rtnl.IffUp), "set down", LinkTarget(index));

    public void SetMtu(int index, int mtu)
    {
        CheckMtu(mtu);
        NetlinkMessageBuilder request = SetLinkRequest(index);
        request.AddUInt32(Rtnl.Link.Mtu, (uint)mtu);
        _socket.Execute(request, $"set mtu {mtu} on", LinkTarget(index));
    }

    public void SetMac(int index, PhysicalAddress mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        NetlinkMessageBuilder request = SetLinkRequest(index);
        request.Add(Rtnl.Link.Address, mac.GetAddressBytes());
        _socket.Execute(request, $"set mac {mac} on", LinkTarget(index));
    }

    /// <summary>Makes the link a port of bridge <paramref name="masterIndex"/>; 0 detaches it (`nomaster`).</summary>
    public void SetMaster(int index, int masterIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(masterIndex);
        NetlinkMessageBuilder request = SetLinkRequest(index);
        request.AddUInt32(Rtnl.Link.Master, (uint)masterIndex);
        _socket.Execute(request, $"set master {masterIndex} on", LinkTarget(index));
    }

    /// <summary>Like `ip link set dev LINK netns NS`, with <paramref name="ns"/> from <see cref="NetworkNamespace.Open"/>. The link goes down and gets a new index there.</summary>
    public void MoveToNamespace(int index, SafeHandle ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        NetlinkMessageBuilder request = SetLinkRequest(index);
        WithFd(ns, fd =>
        {
            request.AddUInt32(Rtnl.Link.NetNsFd, fd!.Value);
            _socket.Execute(request, "move to another namespace", LinkTarget(index));
        });
    }

    /// <summary>Like `ip link set dev LINK name NAME`; the kernel refuses (EBUSY) while the link is up.</summary>
    public void Rename(int index, string name)
    {
        Names.CheckLinkName(name, nameof(name));
        NetlinkMessageBuilder request = SetLinkRequest(index);
        request.AddString(Rtnl.Link.IfName, name);
        _socket.Execute(request, $"rename to {name}", LinkTarget(index));
    }

    /// <summary>Like `ip link delete dev LINK`; deleting one end of a veth pair deletes both.</summary>
    public void DeleteLink(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.DeleteLink);
        request.Write(new IfInfoMsg { Family = Rtnl.AfUnspec, Index = index });
        _socket.Execute(request, "delete", LinkTarget(index));
    }

    /// <summary>
    /// <see cref="DeleteLink"/>, with a link that is already gone (ENODEV) counted as deleted:
    /// for teardown that races the kernel, which removes a veth's peer and a dead namespace's
    /// links on its own, after <see cref="FindLink"/> saw them.
    /// </summary>
    /// <returns>Whether this call deleted it (false: it was gone already).</returns>
    public bool TryDeleteLink(int index)
    {
        try
        {
            DeleteLink(index);
            return true;
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENODEV)
        {
            return false;
        }
    }

    /// <summary>NLM_F_CREATE|NLM_F_EXCL: creating a name that exists fails with EEXIST instead of changing it.</summary>
    private static NetlinkMessageBuilder CreateLinkRequest(string name, string parameterName, int mtu)
    {
        Names.CheckLinkName(name, parameterName);
        CheckMtu(mtu);
        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.NewLink, Rtnl.Flags.Create | Rtnl.Flags.Excl);
        request.Write(new IfInfoMsg { Family = Rtnl.AfUnspec });
        request.AddString(Rtnl.Link.IfName, name);
        request.AddUInt32(Rtnl.Link.Mtu, (uint)mtu);
        return request;
    }
}
