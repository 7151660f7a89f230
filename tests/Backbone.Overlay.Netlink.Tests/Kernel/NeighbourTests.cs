using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using Xunit.Abstractions;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>Permanent neighbours on a proxy vxlan device, programmed with the library, checked with `ip neigh show` and read back with <see cref="RouteNetlink.GetNeighbours()"/>.</summary>
public sealed class NeighbourTests(ITestOutputHelper output)
{
    private static readonly PhysicalAddress First = PhysicalAddress.Parse("02-42-0A-4C-00-05");
    private static readonly PhysicalAddress Second = PhysicalAddress.Parse("02-42-0A-4C-00-06");
    private static readonly PhysicalAddress Third = PhysicalAddress.Parse("02-42-0A-4C-00-07");

    [SkippableFact]
    public void EntriesAreAddedReplacedListedAndDeletedAsProgrammed()
    {
        Root.Require();
        using Scratch scratch = new("i", output);
        string ns = scratch.Namespace("a");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);
        OverlayNetwork network = OverlayNetwork.Build(scratch, netlink, ns);
        int vxlan = network.Vxlan.Index;

        netlink.AddNeighbour(vxlan, IPAddress.Parse("10.76.0.5"), First);
        netlink.ReplaceNeighbour(vxlan, IPAddress.Parse("10.76.0.6"), Second); // creates
        netlink.ReplaceNeighbour(vxlan, IPAddress.Parse("10.76.0.5"), Third); // a new container behind the same address
        netlink.ReplaceNeighbour(vxlan, IPAddress.Parse("10.76.0.6"), Second); // re-applied: no EEXIST, no second entry
        netlink.ReplaceNeighbour(vxlan, IPAddress.Parse("fd00:76::7"), Second);

        AssertEntries(netlink, network, ("10.76.0.5", Third), ("10.76.0.6", Second), ("fd00:76::7", Second));
        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.AddNeighbour(vxlan, IPAddress.Parse("10.76.0.6"), Second));
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal($"netlink: add neighbour 10.76.0.6 lladdr 02:42:0a:4c:00:06 on link {vxlan}: File exists (EEXIST); hint: an entry for this address exists on the link; ReplaceNeighbour overwrites it", e.Message);

        Assert.True(netlink.DeleteNeighbour(vxlan, IPAddress.Parse("10.76.0.5")));
        Assert.False(netlink.DeleteNeighbour(vxlan, IPAddress.Parse("10.76.0.5")));
        Assert.True(netlink.DeleteNeighbour(vxlan, IPAddress.Parse("fd00:76::7")));
        AssertEntries(netlink, network, ("10.76.0.6", Second));
    }

    [SkippableFact]
    public void DeletingOnAMissingLinkIsENODEV()
    {
        Root.Require();
        using Scratch scratch = new("j", output);
        string ns = scratch.Namespace("a");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);

        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.DeleteNeighbour(4242, IPAddress.Parse("10.76.0.5")));

        Assert.Equal(Errno.ENODEV, e.Errno);
        Assert.StartsWith("netlink: delete neighbour 10.76.0.5 on link 4242: No such device (ENODEV)", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The link's entries are exactly <paramref name="expected"/>, all permanent, through both
    /// dumps and `ip neigh show`. Entries the kernel makes itself for multicast (NOARP, from
    /// IPv6 on an up device) are not ours and are left out, as `ip neigh show` leaves them out.
    /// </summary>
    private static void AssertEntries(RouteNetlink netlink, OverlayNetwork network, params (string Address, PhysicalAddress Mac)[] expected)
    {
        int vxlan = network.Vxlan.Index;
        List<Neighbour> wanted = [.. expected.Select(e => new Neighbour(vxlan, IPAddress.Parse(e.Address), e.Mac, NeighbourState.Permanent, NeighbourFlags.None)).OrderBy(n => n.Address.ToString())];
        List<Neighbour> ofLink = [.. netlink.GetNeighbours(vxlan).Where(n => n.State != NeighbourState.NoArp).OrderBy(n => n.Address.ToString())];
        Assert.Equal(wanted, ofLink);
        Assert.Equal(ofLink, netlink.GetNeighbours().Where(n => n.LinkIndex == vxlan && n.State != NeighbourState.NoArp).OrderBy(n => n.Address.ToString()));

        JsonElement shown = Tool.IpJson(network.Namespace, "neigh", "show", "dev", network.Vxlan.Name);
        Assert.Equal(
            wanted.Select(n => (n.Address.ToString(), OverlayNetwork.Format(n.Mac!), "PERMANENT")),
            shown.EnumerateArray().Select(n => (n.GetProperty("dst").GetString()!, n.GetProperty("lladdr").GetString()!, string.Join(',', n.GetProperty("state").EnumerateArray().Select(s => s.GetString())))).Order());
    }
}
