using System.Net;

namespace Backbone.Overlay.Netlink;

/// <summary>A unicast route of the main table.</summary>
/// <param name="Destination">Null for the default route (prefix length 0).</param>
/// <param name="Gateway">Null for a route straight onto the link.</param>
/// <param name="LinkIndex">RTA_OIF; 0 for a multipath route, whose next hops are not decoded.</param>
public sealed record Route(IPAddress? Destination, int PrefixLength, IPAddress? Gateway, int LinkIndex);
