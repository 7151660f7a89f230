using System.Net;
using System.Net.NetworkInformation;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// A forwarding-database entry of a device (AF_BRIDGE RTM_GETNEIGH): `bridge fdb show dev LINK`.
/// On a vxlan device, a <see cref="NeighbourFlags.Self"/> entry sends frames for
/// <see cref="Mac"/> to VTEP <see cref="Remote"/>; a MAC with several remotes (the all-zeros
/// flood entry) comes as one entry per remote.
/// </summary>
/// <param name="Remote">NDA_DST: the remote VTEP; null for entries without one (a bridge's).</param>
public sealed record FdbEntry(int LinkIndex, PhysicalAddress Mac, IPAddress? Remote, NeighbourState State, NeighbourFlags Flags);
