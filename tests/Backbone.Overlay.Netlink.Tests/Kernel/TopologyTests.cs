using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Xunit.Abstractions;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>
/// Docker's container wiring, built only with this library: a sandbox namespace holding a
/// bridge, a container namespace holding one end of a veth pair whose other end is a port of
/// that bridge. Checked with the real `ip` and `ping`.
/// </summary>
public sealed class TopologyTests(ITestOutputHelper output)
{
    private static readonly IPAddress BridgeAddress = IPAddress.Parse("10.72.0.1");
    private static readonly IPAddress ContainerAddress = IPAddress.Parse("10.72.0.2");
    private static readonly PhysicalAddress ContainerMac = PhysicalAddress.Parse("02-42-0A-48-00-02");

    [SkippableFact]
    public void WhatTheLibraryReportsIsWhatIpShows()
    {
        Root.Require();
        using Scratch scratch = new("t", output);
        Topology topology = Build(scratch);

        using (RouteNetlink sandbox = RouteNetlink.OpenIn(topology.Sandbox))
        {
            Link bridge = sandbox.FindLink(topology.Bridge)!;
            Link port = sandbox.FindLink(topology.SandboxVeth)!;
            Assert.Equal((1450, bridge.Index, true, "veth"), (port.Mtu, port.MasterIndex, port.Up, port.Kind));
            Assert.Null(sandbox.FindLink(topology.ContainerVeth)); // the peer was born in the container
            output.WriteLine($"bridge mtu with a 1450 port: {bridge.Mtu}");
            AssertIpShowsLinks(topology.Sandbox, sandbox.GetLinks());
            AssertIpShowsAddresses(topology.Sandbox, sandbox.GetAddresses());
        }

        using RouteNetlink container = RouteNetlink.OpenIn(topology.Container);
        Link veth = container.FindLink(topology.ContainerVeth)!;
        Assert.Equal((ContainerMac, 1450, true, 0), (veth.Mac, veth.Mtu, veth.Up, veth.MasterIndex));
        AssertIpShowsLinks(topology.Container, container.GetLinks());
        AssertIpShowsAddresses(topology.Container, container.GetAddresses());

        IReadOnlyList<Route> routes = container.GetRoutes();
        Assert.Contains(new Route(null, 0, BridgeAddress, veth.Index), routes);
        Assert.Contains(new Route(IPAddress.Parse("10.99.0.0"), 16, null, veth.Index), routes);
        Assert.Contains(new Route(IPAddress.Parse("10.72.0.0"), 24, null, veth.Index), routes);
        JsonElement[] shown = [.. Tool.IpJson(topology.Container, "route", "show").EnumerateArray()];
        Assert.Equal(routes.Count, shown.Length);
        JsonElement defaultRoute = shown.Single(r => r.GetProperty("dst").GetString() == "default");
        Assert.Equal((BridgeAddress.ToString(), topology.ContainerVeth), (defaultRoute.GetProperty("gateway").GetString(), defaultRoute.GetProperty("dev").GetString()));
        JsonElement onLink = shown.Single(r => r.GetProperty("dst").GetString() == "10.99.0.0/16");
        Assert.Equal("link", onLink.GetProperty("scope").GetString());
    }

    [SkippableFact]
    public void TheContainerPingsTheBridge()
    {
        Root.Require();
        Skip.IfNot(Tool.Installed("ping"), "needs ping (apt-get install iputils-ping)");
        using Scratch scratch = new("p", output);
        Topology topology = Build(scratch);

        // The port reaches forwarding state asynchronously (the kernel's link watch runs up to
        // a second later), so try a few single pings within a deadline.
        string last = "";
        Eventually.True(
            () =>
            {
                (int exitCode, string text) = Tool.Try("ip", "netns", "exec", topology.Container, "ping", "-c1", "-W1", BridgeAddress.ToString());
                last = text;
                return exitCode == 0;
            },
            $"ping {BridgeAddress} from {topology.Container}");
        output.WriteLine(last);
    }

    [SkippableFact]
    public void DeletingANamespaceRemovesTheLinksInIt()
    {
        Root.Require();
        using Scratch scratch = new("g", output);
        Topology topology = Build(scratch);
        using RouteNetlink container = RouteNetlink.OpenIn(topology.Container);
        Assert.NotNull(container.FindLink(topology.ContainerVeth));

        NetworkNamespace.Delete(topology.Sandbox); // every socket and fd on the sandbox is closed by now

        Assert.False(NetworkNamespace.Exists(topology.Sandbox));
        Assert.DoesNotContain(topology.Sandbox, Tool.Run("ip", "netns", "list"));

        // The sandbox's bridge and veth go with it, and a veth end takes its peer along, so the
        // container's end disappears too, once the kernel has torn the namespace down.
        Eventually.True(() => container.FindLink(topology.ContainerVeth) is null, $"{topology.ContainerVeth} gone with {topology.Sandbox}");
    }

    private static Topology Build(Scratch scratch)
    {
        Topology topology = new(scratch.Namespace("s"), scratch.Namespace("c"), scratch.Link("br"), scratch.Link("ve"), scratch.Link("vc"));
        using (RouteNetlink sandbox = RouteNetlink.OpenIn(topology.Sandbox))
        {
            sandbox.CreateBridge(topology.Bridge, 1450);
            int bridge = sandbox.FindLink(topology.Bridge)!.Index;
            sandbox.AddAddress(bridge, BridgeAddress, 24);
            sandbox.SetUp(bridge);

            using (SafeFileHandle container = NetworkNamespace.Open(topology.Container))
            {
                sandbox.CreateVethPair(topology.SandboxVeth, topology.ContainerVeth, 1450, container);
            }

            int port = sandbox.FindLink(topology.SandboxVeth)!.Index;
            sandbox.SetMaster(port, bridge);
            sandbox.SetUp(port);
        }

        using (RouteNetlink container = RouteNetlink.OpenIn(topology.Container))
        {
            int veth = container.FindLink(topology.ContainerVeth)!.Index;
            container.SetMac(veth, ContainerMac);
            container.AddAddress(veth, ContainerAddress, 24);
            container.SetUp(container.FindLink("lo")!.Index);
            container.SetUp(veth);
            container.AddRoute(null, 0, BridgeAddress, veth);
            container.AddRoute(IPAddress.Parse("10.99.0.0"), 16, null, veth);
        }

        return topology;
    }

    /// <summary>Every link we report appears in `ip -d link` with the same name, MTU, MAC, master, kind and up flag.</summary>
    private static void AssertIpShowsLinks(string ns, IReadOnlyList<Link> links)
    {
        Dictionary<int, JsonElement> shown = Tool.IpJson(ns, "-d", "link", "show").EnumerateArray().ToDictionary(l => l.GetProperty("ifindex").GetInt32());
        Assert.Equal(shown.Keys.Order(), links.Select(l => l.Index).Order());
        foreach (Link link in links)
        {
            JsonElement ip = shown[link.Index];
            Assert.Equal(ip.GetProperty("ifname").GetString(), link.Name);
            Assert.Equal(ip.GetProperty("mtu").GetInt32(), link.Mtu);
            Assert.Equal(ip.TryGetProperty("address", out JsonElement mac) ? mac.GetString() : null, Format(link.Mac));
            Assert.Equal(ip.TryGetProperty("master", out JsonElement master) ? master.GetString() : null, links.SingleOrDefault(l => l.Index == link.MasterIndex)?.Name);
            Assert.Equal(ip.TryGetProperty("linkinfo", out JsonElement info) ? info.GetProperty("info_kind").GetString() : "", link.Kind);
            Assert.Equal(ip.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "UP"), link.Up);
        }
    }

    /// <summary>
    /// IPv4 sets are equal; IPv6 link-local addresses may appear between our dump and `ip`'s,
    /// so ours are a subset there.
    /// </summary>
    private static void AssertIpShowsAddresses(string ns, IReadOnlyList<InterfaceAddress> addresses)
    {
        List<(int, string, int, string)> shown = [.. Tool.IpJson(ns, "addr", "show").EnumerateArray().SelectMany(l =>
            l.GetProperty("addr_info").EnumerateArray().Select(a => (
                l.GetProperty("ifindex").GetInt32(),
                a.GetProperty("local").GetString()!,
                a.GetProperty("prefixlen").GetInt32(),
                a.GetProperty("family").GetString()!)))];
        List<(int, string, int, string)> ours = [.. addresses.Select(a => (a.LinkIndex, a.Address.ToString(), a.PrefixLength,
            a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "inet" : "inet6"))];
        Assert.Equal(shown.Where(a => a.Item4 == "inet").Order(), ours.Where(a => a.Item4 == "inet").Order());
        Assert.Subset(shown.ToHashSet(), ours.ToHashSet());
    }

    private static string? Format(PhysicalAddress? mac) =>
        mac is null ? null : string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    private sealed record Topology(string Sandbox, string Container, string Bridge, string SandboxVeth, string ContainerVeth);
}
