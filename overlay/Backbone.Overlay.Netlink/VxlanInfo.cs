using System.Net;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// A vxlan device's settings as RTM_GETLINK reports them (IFLA_LINKINFO → IFLA_INFO_DATA →
/// IFLA_VXLAN_*): what a reconciler compares with what it wants before deciding to recreate the
/// device, since the kernel refuses to change the VNI, port or proxy of an existing one.
/// </summary>
/// <param name="Vni">IFLA_VXLAN_ID: the 24-bit VXLAN network identifier.</param>
/// <param name="Port">IFLA_VXLAN_PORT: the UDP destination port (4789 is IANA's, 8472 Linux's old default).</param>
/// <param name="Local">IFLA_VXLAN_LOCAL or LOCAL6: the source address of encapsulated packets; null when unset.</param>
/// <param name="Group">IFLA_VXLAN_GROUP or GROUP6: a fixed remote or multicast group; null when the far ends come only from FDB entries, as in our overlay.</param>
/// <param name="Learning">IFLA_VXLAN_LEARNING: whether the device learns MAC → VTEP from received packets (off: only programmed FDB entries count).</param>
/// <param name="Proxy">IFLA_VXLAN_PROXY: whether the device answers ARP and neighbour solicitations itself from the neighbour table instead of sending them to other hosts.</param>
public sealed record VxlanInfo(int Vni, int Port, IPAddress? Local, IPAddress? Group, bool Learning, bool Proxy);
