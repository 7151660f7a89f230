using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Backbone.Overlay.Netlink;
using Backbone.Overlay.Reconcile;

namespace Backbone.Overlay.Kernel;

/// <summary>
/// The VXLAN side of the kernel host: a sandbox's <c>vxlan0</c> and the FDB and neighbour entries
/// on it, observed as they are and changed over our rtnetlink client.
/// </summary>
internal static class KernelTunnels
{
    /// <summary>
    /// The sandbox's tunnel as it is, or null when it has none. One that is not whole (down, off
    /// the bridge, learning on, proxy off) is reported with port 0, so the reconciler remakes it.
    /// </summary>
    public static TunnelSpec? Observe(string sandbox, IReadOnlyList<Link> links, Link bridge)
    {
        if (links.FirstOrDefault(l => l.Name == TunnelSpec.DeviceName) is not { } device)
        {
            return null;
        }

        VxlanInfo? vxlan = device.Vxlan;
        bool whole = vxlan is { Learning: false, Proxy: true } && device.Up && device.MasterIndex == bridge.Index;
        return new TunnelSpec(sandbox, vxlan?.Vni ?? -1, vxlan?.Local?.ToString() ?? "", whole ? vxlan!.Port : 0, device.Mtu);
    }

    /// <summary>
    /// The remote containers programmed into <paramref name="device"/>: each permanent IPv4
    /// neighbour with its FDB entry's remote (an entry missing its other half is reported as such,
    /// so it is removed and made whole).
    /// </summary>
    public static IEnumerable<PeerSpec> ObservePeers(RouteNetlink netlink, string sandbox, Link device)
    {
        IReadOnlyList<FdbEntry> fdb = netlink.GetFdb(device.Index);
        var remotes = fdb.Where(f => f.Remote is not null && f.Mac.GetAddressBytes().Any(b => b != 0))
            .GroupBy(f => MacText.Format(f.Mac)).ToDictionary(g => g.Key, g => g.First().Remote!.ToString(), StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Neighbour neighbour in netlink.GetNeighbours(device.Index))
        {
            if (neighbour.Address.AddressFamily != AddressFamily.InterNetwork || !neighbour.State.HasFlag(NeighbourState.Permanent) || neighbour.Mac is null)
            {
                continue; // the kernel's own (multicast, NOARP) entries
            }

            string mac = MacText.Format(neighbour.Mac);
            seen.Add(mac);
            yield return new PeerSpec(sandbox, neighbour.Address.ToString(), mac, remotes.GetValueOrDefault(mac, ""));
        }

        foreach ((string mac, string remote) in remotes.Where(r => !seen.Contains(r.Key)))
        {
            yield return new PeerSpec(sandbox, "", mac, remote);
        }
    }

    /// <summary>
    /// Makes the tunnel: created in this host's namespace (its UDP socket lives where it is
    /// made, on the underlay), moved into the sandbox, renamed, put on the bridge, up.
    /// </summary>
    public static void Create(TunnelSpec tunnel, Action step)
    {
        string staging = "vx-" + tunnel.Vni.ToString(CultureInfo.InvariantCulture); // unique here: one device per VNI per namespace
        using RouteNetlink host = RouteNetlink.Open();
        if (host.FindLink(staging) is { } leftover)
        {
            host.DeleteLink(leftover.Index); // of a crash between making and moving
        }

        step();
        host.CreateVxlan(staging, tunnel.Vni, IPAddress.Parse(tunnel.Local), tunnel.Port, tunnel.Mtu, learning: false, proxy: true);
        Link made = host.FindLink(staging) ?? throw new InvalidOperationException($"vxlan {staging} vanished right after it was made");
        using (var sandbox = NetworkNamespace.Open(tunnel.Sandbox))
        {
            step();
            host.MoveToNamespace(made.Index, sandbox);
        }

        using RouteNetlink inside = RouteNetlink.OpenIn(tunnel.Sandbox);
        Link moved = inside.FindLink(staging) ?? throw new InvalidOperationException($"vxlan {staging} did not arrive in {tunnel.Sandbox}");
        step();
        inside.Rename(moved.Index, TunnelSpec.DeviceName);
        step();
        inside.SetMaster(moved.Index, inside.FindLink(SandboxSpec.BridgeName)?.Index ?? throw new InvalidOperationException($"sandbox {tunnel.Sandbox} has no bridge"));
        step();
        inside.SetUp(moved.Index);
    }

    public static void Delete(string sandbox, Action step)
    {
        using RouteNetlink inside = RouteNetlink.OpenIn(sandbox);
        if (inside.FindLink(TunnelSpec.DeviceName) is { } device)
        {
            step();
            inside.DeleteLink(device.Index);
        }
    }

    /// <summary>The neighbour (for proxy ARP) and the FDB entry (where frames go), each replacing whatever was there.</summary>
    public static void AddPeer(PeerSpec peer, Action step)
    {
        using RouteNetlink inside = RouteNetlink.OpenIn(peer.Sandbox);
        int device = Device(inside, peer.Sandbox);
        PhysicalAddress mac = PhysicalAddress.Parse(peer.Mac.Replace(':', '-').ToUpperInvariant());
        step();
        inside.ReplaceFdb(device, mac, IPAddress.Parse(peer.Vtep));
        step();
        inside.ReplaceNeighbour(device, IPAddress.Parse(peer.Address), mac);
    }

    public static void RemovePeer(PeerSpec peer, Action step)
    {
        using RouteNetlink inside = RouteNetlink.OpenIn(peer.Sandbox);
        int device = Device(inside, peer.Sandbox);
        step();
        if (peer.Address.Length > 0)
        {
            inside.DeleteNeighbour(device, IPAddress.Parse(peer.Address));
        }

        inside.DeleteFdb(device, PhysicalAddress.Parse(peer.Mac.Replace(':', '-').ToUpperInvariant()));
    }

    private static int Device(RouteNetlink netlink, string sandbox) =>
        netlink.FindLink(TunnelSpec.DeviceName)?.Index ?? throw new InvalidOperationException($"sandbox {sandbox} has no {TunnelSpec.DeviceName}");
}
