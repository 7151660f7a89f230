using System.Net;

namespace Backbone.Overlay.Netlink;

/// <summary>An address on a link as RTM_GETADDR reports it (IPv4 or IPv6).</summary>
public sealed record InterfaceAddress(int LinkIndex, IPAddress Address, int PrefixLength);
