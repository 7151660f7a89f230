using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Xunit.Abstractions;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>
/// What proxy is for: a container on the overlay's bridge resolves a remote container's address
/// from the vxlan device's permanent neighbour entry, without the ARP request leaving the host.
/// </summary>
public sealed class ProxyTests(ITestOutputHelper output)
{
    private static readonly IPAddress ContainerAddress = IPAddress.Parse("10.78.0.2");
    private static readonly IPAddress Remote = IPAddress.Parse("10.78.0.5");
    private static readonly IPAddress Unknown = IPAddress.Parse("10.78.0.6");
    private static readonly PhysicalAddress RemoteMac = PhysicalAddress.Parse("02-42-0A-4E-00-05");

    [SkippableFact]
    public void AContainerResolvesARemoteContainerFromTheVxlansNeighbourEntry()
    {
        Root.Require();
        using Scratch scratch = new("q", output);
        string sandbox = scratch.Namespace("s");
        string container = scratch.Namespace("c");
        using RouteNetlink network = RouteNetlink.OpenIn(sandbox);
        OverlayNetwork overlay = OverlayNetwork.Build(scratch, network, sandbox);
        network.ReplaceFdb(overlay.Vxlan.Index, RemoteMac, IPAddress.Parse("192.0.2.77"));
        network.ReplaceNeighbour(overlay.Vxlan.Index, Remote, RemoteMac);

        string port = scratch.Link("ve");
        string inner = scratch.Link("vc");
        using (SafeFileHandle target = NetworkNamespace.Open(container))
        {
            network.CreateVethPair(port, inner, OverlayNetwork.Mtu, target);
        }

        int portIndex = network.FindLink(port)!.Index;
        network.SetMaster(portIndex, overlay.Bridge.Index);
        network.SetUp(portIndex);
        using RouteNetlink inside = RouteNetlink.OpenIn(container);
        int innerIndex = inside.FindLink(inner)!.Index;
        inside.AddAddress(innerIndex, ContainerAddress, 24);
        inside.SetUp(innerIndex);

        // Any packet to an on-link address makes the container ARP for it. The ports reach
        // forwarding state asynchronously, so keep sending until the answer is in.
        using Socket udp = NetworkNamespace.Run(container, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        Eventually.True(
            () =>
            {
                udp.SendTo([1], new IPEndPoint(Remote, 9));
                udp.SendTo([1], new IPEndPoint(Unknown, 9));
                return inside.GetNeighbours(innerIndex).Any(n => n.Address.Equals(Remote) && RemoteMac.Equals(n.Mac));
            },
            $"{Remote} resolved to {RemoteMac} in {container}");

        Neighbour resolved = inside.GetNeighbours(innerIndex).Single(n => n.Address.Equals(Remote));
        output.WriteLine($"{resolved}");
        Assert.Equal(NeighbourState.None, resolved.State & (NeighbourState.Permanent | NeighbourState.NoArp)); // learned from the reply, not programmed here
        Assert.DoesNotContain(inside.GetNeighbours(innerIndex), n => n.Address.Equals(Unknown) && n.Mac is not null); // no entry on the vxlan: nobody answers
    }
}
