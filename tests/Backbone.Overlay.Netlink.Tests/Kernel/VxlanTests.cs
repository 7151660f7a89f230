using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;
using Xunit.Abstractions;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>Vxlan devices as an overlay makes them, checked with `ip -d link show` and read back through <see cref="RouteNetlink.GetLinks"/>.</summary>
public sealed class VxlanTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void AProxyVxlanWithoutLearningIsWhatWasAskedForAndWhatIsReadBack()
    {
        Root.Require();
        using Scratch scratch = new("w", output);
        string ns = scratch.Namespace("a");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);

        OverlayNetwork network = OverlayNetwork.Build(scratch, netlink, ns);

        VxlanInfo asked = new(OverlayNetwork.Vni, OverlayNetwork.Port, OverlayNetwork.Local, Group: null, Learning: false, Proxy: true);
        Link vxlan = Assert.Single(netlink.GetLinks(), l => l.Name == network.Vxlan.Name);
        Assert.Equal(new Link(vxlan.Index, network.Vxlan.Name, "vxlan", OverlayNetwork.Mtu, vxlan.Mac, network.Bridge.Index, true, asked), vxlan);
        Assert.NotNull(vxlan.Mac);
        Assert.Null(network.Bridge.Vxlan);
        string shown = Tool.Run("ip", "-n", ns, "-d", "link", "show", "dev", network.Vxlan.Name);
        output.WriteLine(shown);
        Assert.Matches(new Regex($@"\bvxlan id {OverlayNetwork.Vni} local {Regex.Escape(OverlayNetwork.Local.ToString())} .*\bdstport {OverlayNetwork.Port} nolearning proxy\b"), shown);
        string details = VxlanLine(shown);
        Assert.DoesNotContain(" remote ", details, StringComparison.Ordinal);
        Assert.DoesNotContain(" group ", details, StringComparison.Ordinal);
        AssertIpShows(ns, vxlan);
    }

    [SkippableFact]
    public void LearningOnAndProxyOffAreReadBackToo()
    {
        Root.Require();
        using Scratch scratch = new("l", output);
        string ns = scratch.Namespace("a");
        string name = scratch.Link("vx");
        using RouteNetlink netlink = RouteNetlink.OpenIn(ns);

        netlink.CreateVxlan(name, 77, IPAddress.Parse("fd00:75::1"), 4790, 1430, learning: true);

        Link vxlan = netlink.FindLink(name)!;
        Assert.Equal(new VxlanInfo(77, 4790, IPAddress.Parse("fd00:75::1"), null, Learning: true, Proxy: false), vxlan.Vxlan);
        string shown = Tool.Run("ip", "-n", ns, "-d", "link", "show", "dev", name);
        Assert.Matches(new Regex(@"\bvxlan id 77 local fd00:75::1 .*\bdstport 4790 "), shown);
        Assert.DoesNotContain("nolearning", VxlanLine(shown), StringComparison.Ordinal);
        Assert.DoesNotContain("proxy", VxlanLine(shown), StringComparison.Ordinal);
        AssertIpShows(ns, vxlan);
    }

    /// <summary>
    /// Docker makes the vxlan device in one namespace and moves it into the network's: its
    /// settings, read in the new namespace, are those it was made with, and it takes entries there.
    /// </summary>
    [SkippableFact]
    public void AVxlanMovedToAnotherNamespaceKeepsItsSettings()
    {
        Root.Require();
        using Scratch scratch = new("o", output);
        string from = scratch.Namespace("a");
        string to = scratch.Namespace("b");
        string name = scratch.Link("vx");
        VxlanInfo asked = new(4343, 8472, IPAddress.Parse("10.77.0.1"), null, Learning: false, Proxy: true);
        using RouteNetlink source = RouteNetlink.OpenIn(from);
        source.CreateVxlan(name, asked.Vni, asked.Local!, asked.Port, 1400, learning: false, proxy: true);
        Link made = source.FindLink(name)!;

        using (SafeFileHandle target = NetworkNamespace.Open(to))
        {
            source.MoveToNamespace(made.Index, target);
        }

        Assert.Null(source.FindLink(name));
        using RouteNetlink destination = RouteNetlink.OpenIn(to);
        Link moved = destination.FindLink(name)!;
        Assert.Equal(made with { Index = moved.Index }, moved); // a new index there; everything else as made, still down
        Assert.Equal(asked, moved.Vxlan);
        AssertIpShows(to, moved);
        Assert.Matches(new Regex(@"\bvxlan id 4343 local 10\.77\.0\.1 .*\bdstport 8472 nolearning proxy\b"), Tool.Run("ip", "-n", to, "-d", "link", "show", "dev", name));

        PhysicalAddress mac = PhysicalAddress.Parse("02-42-0A-4D-00-05");
        destination.SetUp(moved.Index);
        destination.ReplaceFdb(moved.Index, mac, IPAddress.Parse("192.0.2.77"));
        Assert.Equal(asked, destination.FindLink(name)!.Vxlan);
        Assert.Equal([new FdbEntry(moved.Index, mac, IPAddress.Parse("192.0.2.77"), NeighbourState.Permanent, NeighbourFlags.Self)], destination.GetFdb(moved.Index));

        // The kernel adds link-netnsid: the device's UDP socket stays in the namespace it was made in.
        Assert.Matches(new Regex(@"02:42:0a:4d:00:05 dst 192\.0\.2\.77 .*\bself permanent"), Tool.Run("ip", "netns", "exec", to, "bridge", "fdb", "show", "dev", name));
    }

    /// <summary>The "vxlan id ..." line of `ip -d link show`: elsewhere "group" is the link group.</summary>
    private static string VxlanLine(string shown) => shown.Split('\n').Single(l => l.TrimStart().StartsWith("vxlan id ", StringComparison.Ordinal));

    /// <summary>`ip -j -d link show` agrees with every field of <paramref name="vxlan"/>.Vxlan.</summary>
    private static void AssertIpShows(string ns, Link vxlan)
    {
        JsonElement data = Tool.IpJson(ns, "-d", "link", "show", "dev", vxlan.Name)[0].GetProperty("linkinfo").GetProperty("info_data");
        VxlanInfo info = vxlan.Vxlan!;
        Assert.Equal(info.Vni, data.GetProperty("id").GetInt32());
        Assert.Equal(info.Port, data.GetProperty("port").GetInt32());
        string localKey = info.Local?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "local6" : "local";
        Assert.Equal(info.Local?.ToString(), data.GetProperty(localKey).GetString());
        Assert.DoesNotContain(data.EnumerateObject(), p => p.Name is "group" or "group6" or "remote" or "remote6");
        Assert.Equal(info.Learning, data.GetProperty("learning").GetBoolean());
        Assert.Equal(info.Proxy, data.TryGetProperty("proxy", out JsonElement proxy) && proxy.GetBoolean()); // iproute2 prints proxy only when on
    }
}
