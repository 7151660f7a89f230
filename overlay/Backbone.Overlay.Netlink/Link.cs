using System.Net.NetworkInformation;

namespace Backbone.Overlay.Netlink;

/// <summary>A network device as RTM_GETLINK reports it.</summary>
/// <param name="Kind">IFLA_INFO_KIND: "bridge", "veth", "vxlan"...; "" for devices without one (lo, physical NICs).</param>
/// <param name="Mac">IFLA_ADDRESS; null for devices without a link-layer address.</param>
/// <param name="MasterIndex">IFLA_MASTER: the bridge this link is a port of; 0 for none.</param>
/// <param name="Up">IFF_UP: administratively up (whether it has carrier is another matter).</param>
/// <param name="Vxlan">A vxlan device's settings; null for every other kind.</param>
public sealed record Link(int Index, string Name, string Kind, int Mtu, PhysicalAddress? Mac, int MasterIndex, bool Up, VxlanInfo? Vxlan)
{
    /// <summary>Shorthand for <c>Vxlan?.Vni</c>, for callers that need only the VNI.</summary>
    public int? VxlanId => Vxlan?.Vni;
}
