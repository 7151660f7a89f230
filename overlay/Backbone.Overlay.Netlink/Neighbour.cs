using System.Net;
using System.Net.NetworkInformation;

namespace Backbone.Overlay.Netlink;

/// <summary>An ARP (IPv4) or NDP (IPv6) neighbour entry as RTM_GETNEIGH reports it: `ip neigh show`.</summary>
/// <param name="Address">NDA_DST: the neighbour's IP address.</param>
/// <param name="Mac">NDA_LLADDR; null while unresolved (incomplete, failed) and on devices without link-layer addresses.</param>
public sealed record Neighbour(int LinkIndex, IPAddress Address, PhysicalAddress? Mac, NeighbourState State, NeighbourFlags Flags);
