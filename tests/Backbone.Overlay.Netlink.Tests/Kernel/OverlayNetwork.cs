using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>
/// One overlay network as Docker builds it in a namespace of its own: a bridge, and a vxlan
/// device with learning off and proxy on as its port, both up. Made only with the library.
/// </summary>
internal sealed record OverlayNetwork(string Namespace, Link Bridge, Link Vxlan)
{
    public const int Vni = 4242;
    public const int Port = 4789;
    public const int Mtu = 1450;
    public static readonly IPAddress Local = IPAddress.Parse("10.75.0.1");

    public static OverlayNetwork Build(Scratch scratch, RouteNetlink netlink, string ns)
    {
        string bridgeName = scratch.Link("br");
        string vxlanName = scratch.Link("vx");
        netlink.CreateBridge(bridgeName, Mtu);
        netlink.CreateVxlan(vxlanName, Vni, Local, Port, Mtu, learning: false, proxy: true);
        int bridge = netlink.FindLink(bridgeName)!.Index;
        int vxlan = netlink.FindLink(vxlanName)!.Index;
        netlink.SetMaster(vxlan, bridge);
        netlink.SetUp(bridge);
        netlink.SetUp(vxlan);
        return new OverlayNetwork(ns, netlink.FindLink(bridgeName)!, netlink.FindLink(vxlanName)!);
    }

    /// <summary>02:42:0a:4b:00:05, as `ip` and `bridge` print MACs.</summary>
    public static string Format(PhysicalAddress mac) =>
        string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
