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

    /// <summary>
    /// One sandbox's peer changes over one socket, in three batches: the entries that go, then
    /// the FDB entries that come (where frames go), then their neighbours (for proxy ARP), each
    /// replacing whatever was there for its MAC or address. A neighbour is only ever made after
    /// its FDB entry, so proxy ARP never answers for a MAC the device cannot yet send to; a crash
    /// between batches leaves halves the next observation reports and the next round makes whole.
    /// </summary>
    /// <exception cref="InvalidOperationException">The kernel refused some of the changes (the rest were made); they are named.</exception>
    public static void UpdatePeers(HostAction.UpdatePeers update, Action step)
    {
        using RouteNetlink inside = RouteNetlink.OpenIn(update.Sandbox);
        int device = Device(inside, update.Sandbox);
        RouteBatch batch = inside.Batch();
        var refused = new List<NetlinkException>();
        foreach (PeerSpec peer in update.Removed)
        {
            if (peer.Address.Length > 0)
            {
                batch.DeleteNeighbour(device, IPAddress.Parse(peer.Address));
            }

            batch.DeleteFdb(device, Mac(peer));
        }

        Commit(batch, step, refused);
        foreach (PeerSpec peer in update.Added)
        {
            batch.ReplaceFdb(device, Mac(peer), IPAddress.Parse(peer.Vtep));
        }

        Commit(batch, step, refused);
        foreach (PeerSpec peer in update.Added)
        {
            batch.ReplaceNeighbour(device, IPAddress.Parse(peer.Address), Mac(peer));
        }

        Commit(batch, step, refused);
        if (refused.Count > 0)
        {
            throw new InvalidOperationException(
                $"{refused.Count} of the changes to {update.Sandbox}'s peers were refused: {string.Join("; ", refused.Take(3).Select(e => e.Message))}{(refused.Count > 3 ? "; ..." : "")}");
        }
    }

    private static void Commit(RouteBatch batch, Action step, List<NetlinkException> refused)
    {
        if (batch.Count > 0)
        {
            step();
            refused.AddRange(batch.Commit());
        }
    }

    private static PhysicalAddress Mac(PeerSpec peer) => MacText.Parse(peer.Mac);

    private static int Device(RouteNetlink netlink, string sandbox) =>
        netlink.FindLink(TunnelSpec.DeviceName)?.Index ?? throw new InvalidOperationException($"sandbox {sandbox} has no {TunnelSpec.DeviceName}");
}
