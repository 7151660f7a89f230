using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Xunit.Abstractions;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>Links inside a namespace, through <see cref="RouteNetlink.OpenIn"/>, checked against `ip`.</summary>
public sealed class LinkTests(ITestOutputHelper output)
{
    [Fact]
    public void DumpsTheCallersOwnNamespaceWithoutRoot()
    {
        using RouteNetlink netlink = RouteNetlink.Open();

        Link lo = Assert.Single(netlink.GetLinks(), l => l.Name == "lo");

        Assert.Equal(lo, netlink.FindLink("lo"));
        Assert.Equal("", lo.Kind);
        Assert.Contains(new InterfaceAddress(lo.Index, IPAddress.Loopback, 8), netlink.GetAddresses());
        Assert.DoesNotContain(netlink.GetRoutes(), r => r.Destination is not null && IPAddress.IsLoopback(r.Destination)); // 127/8 is in the local table, not main
    }

    [SkippableFact]
    public void ABridgeGetsAddressMtuMacUpAndANewName()
    {
        Root.Require();
        using Scratch scratch = new("b", output);
        string ns = scratch.Namespace("a");
        string name = scratch.Link("br");
        string renamed = scratch.Link("br2");
        PhysicalAddress mac = PhysicalAddress.Parse("02-42-0A-47-00-01");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);

        netlink.CreateBridge(name, 1450);
        Link created = netlink.FindLink(name)!;
        netlink.AddAddress(created.Index, IPAddress.Parse("10.71.0.1"), 24);
        netlink.SetMac(created.Index, mac);
        netlink.SetUp(created.Index);

        Link bridge = netlink.FindLink(name)!;
        Assert.Equal(new Link(created.Index, name, "bridge", 1450, mac, 0, true, null), bridge);
        Assert.False(created.Up);
        Assert.Contains(new InterfaceAddress(bridge.Index, IPAddress.Parse("10.71.0.1"), 24), netlink.GetAddresses());
        Assert.Contains(new Route(IPAddress.Parse("10.71.0.0"), 24, null, bridge.Index), netlink.GetRoutes()); // the kernel's connected route
        JsonElement shown = Tool.IpJson(ns, "-d", "link", "show", "dev", name)[0];
        Assert.Equal(1450, shown.GetProperty("mtu").GetInt32());
        Assert.Equal("02:42:0a:47:00:01", shown.GetProperty("address").GetString());
        Assert.Equal("bridge", shown.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Contains("UP", shown.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        JsonElement address = Tool.IpJson(ns, "addr", "show", "dev", name)[0].GetProperty("addr_info").EnumerateArray().Single(a => a.GetProperty("family").GetString() == "inet");
        Assert.Equal("10.71.0.255", address.GetProperty("broadcast").GetString());

        netlink.SetMtu(bridge.Index, 1400);
        netlink.SetDown(bridge.Index);
        netlink.Rename(bridge.Index, renamed);

        Assert.Null(netlink.FindLink(name));
        Assert.Equal(bridge with { Name = renamed, Mtu = 1400, Up = false }, netlink.FindLink(renamed));
    }

    [SkippableFact]
    public void CreatingADuplicateBridgeNamesTheObjectAndEexist()
    {
        Root.Require();
        using Scratch scratch = new("d", output);
        string ns = scratch.Namespace("a");
        string name = scratch.Link("br");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);
        netlink.CreateBridge(name, 1450);

        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.CreateBridge(name, 1450));

        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal("create bridge", e.Operation);
        Assert.StartsWith($"netlink: create bridge {name}: File exists (EEXIST)", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("; hint: the object already exists", e.Message, StringComparison.Ordinal);
        output.WriteLine(e.Message);
    }

    [SkippableFact]
    public void ChangingAMissingLinkIsENODEV()
    {
        Root.Require();
        using Scratch scratch = new("m", output);
        string ns = scratch.Namespace("a");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);

        NetlinkException e = Assert.Throws<NetlinkException>(() => netlink.SetUp(4242));

        Assert.Equal(Errno.ENODEV, e.Errno);
        Assert.StartsWith("netlink: set up link 4242: No such device (ENODEV)", e.Message, StringComparison.Ordinal);
        output.WriteLine(e.Message);
    }

    /// <summary>
    /// A kernel fact the overlay must respect: an MTU given at creation does not count as set
    /// by the user (BROPT_MTU_SET_BY_USER), so the bridge follows its ports' smallest MTU, even
    /// upward; an MTU changed afterwards pins it.
    /// </summary>
    [SkippableFact]
    public void ABridgeMtuGivenAtCreationFollowsItsPortsAndAChangedOneSticks()
    {
        Root.Require();
        using Scratch scratch = new("u", output);
        string ns = scratch.Namespace("a");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);
        netlink.CreateBridge(scratch.Link("b1"), 1450);
        netlink.CreateBridge(scratch.Link("b2"), 1500);
        netlink.CreateVethPair(scratch.Link("p1"), scratch.Link("q1"), 1500);
        netlink.CreateVethPair(scratch.Link("p2"), scratch.Link("q2"), 1500);
        Link followed = netlink.FindLink(scratch.Link("b1"))!;
        Link pinned = netlink.FindLink(scratch.Link("b2"))!;
        Assert.Equal(1450, followed.Mtu);
        netlink.SetMtu(pinned.Index, 1450);

        netlink.SetMaster(netlink.FindLink(scratch.Link("p1"))!.Index, followed.Index);
        netlink.SetMaster(netlink.FindLink(scratch.Link("p2"))!.Index, pinned.Index);

        Assert.Equal(1500, netlink.FindLink(scratch.Link("b1"))!.Mtu);
        Assert.Equal(1450, netlink.FindLink(scratch.Link("b2"))!.Mtu);
    }

    [SkippableFact]
    public void AVxlanDeviceIsMadeInTheHostNamespaceThenMovedAndProgrammed()
    {
        Root.Require();
        using Scratch scratch = new("v", output);
        string ns = scratch.Namespace("a");
        string name = scratch.HostLink("vx");
        PhysicalAddress mac = PhysicalAddress.Parse("02-42-0A-4A-00-05");
        using RouteNetlink host = RouteNetlink.Open();

        host.CreateVxlan(name, 4097, IPAddress.Parse("10.73.0.1"), 4789, 1450);

        Link created = host.FindLink(name)!;
        VxlanInfo asked = new(4097, 4789, IPAddress.Parse("10.73.0.1"), null, Learning: false, Proxy: false);
        Assert.Equal(("vxlan", asked, 1450), (created.Kind, created.Vxlan, created.Mtu));
        JsonElement data = JsonDocument.Parse(Tool.Run("ip", "-j", "-d", "link", "show", "dev", name)).RootElement[0].GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(4097, data.GetProperty("id").GetInt32());
        Assert.Equal("10.73.0.1", data.GetProperty("local").GetString());
        Assert.Equal(4789, data.GetProperty("port").GetInt32());
        Assert.False(data.GetProperty("learning").GetBoolean());

        using (SafeFileHandle target = NetworkNamespace.Open(ns))
        {
            host.MoveToNamespace(created.Index, target);
        }

        Assert.Null(host.FindLink(name));
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);
        Link moved = netlink.FindLink(name)!;
        Assert.Equal(("vxlan", asked), (moved.Kind, moved.Vxlan));

        netlink.AddFdb(moved.Index, mac, IPAddress.Parse("192.0.2.77"));
        netlink.AddNeighbour(moved.Index, IPAddress.Parse("10.74.0.5"), mac);

        JsonElement fdb = JsonDocument.Parse(Tool.Run("ip", "netns", "exec", ns, "bridge", "-j", "fdb", "show", "dev", name)).RootElement;
        Assert.Contains(fdb.EnumerateArray(), e => e.GetProperty("mac").GetString() == "02:42:0a:4a:00:05"
            && e.TryGetProperty("dst", out JsonElement dst) && dst.GetString() == "192.0.2.77"
            && e.GetProperty("state").GetString() == "permanent");
        JsonElement neighbour = Tool.IpJson(ns, "neigh", "show", "dev", name).EnumerateArray().Single();
        Assert.Equal("10.74.0.5", neighbour.GetProperty("dst").GetString());
        Assert.Equal("02:42:0a:4a:00:05", neighbour.GetProperty("lladdr").GetString());
        Assert.Equal(["PERMANENT"], neighbour.GetProperty("state").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(Errno.EEXIST, Assert.Throws<NetlinkException>(() => netlink.AddFdb(moved.Index, mac, IPAddress.Parse("192.0.2.77"))).Errno);

        netlink.DeleteLink(moved.Index);

        Assert.Null(netlink.FindLink(name));
    }
}
