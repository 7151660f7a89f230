using System.Net;
using System.Net.Sockets;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>Routes: RTM_GETROUTE, RTM_NEWROUTE, on the main table.</summary>
public sealed partial class RouteNetlink
{
    /// <summary>The IPv4 unicast routes of the main table (`ip route show`).</summary>
    public IReadOnlyList<Route> GetRoutes() => _socket.Query<Route>(
        () =>
        {
            NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.GetRoute, Rtnl.Flags.Dump);
            request.Write(new RtMsg { Family = Rtnl.AfInet });
            return request;
        },
        RtnlDecoder.TryDecodeRoute,
        "dump",
        "routes");

    /// <summary>
    /// Like `ip route add {DEST/PREFIX | default} [via GATEWAY] dev LINK` in the main table.
    /// A route with no gateway gets link scope (the destination is on the link), one with a
    /// gateway universe scope; the gateway must be reachable on the link already (a connected
    /// route from <see cref="AddAddress"/>), or the kernel answers ENETUNREACH. Adding a route
    /// that exists fails with EEXIST; a destination with host bits set fails with EINVAL.
    /// </summary>
    /// <param name="destination">Null for the default route; <paramref name="prefixLength"/> must then be 0.</param>
    public void AddRoute(IPAddress? destination, int prefixLength, IPAddress? gateway, int linkIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linkIndex);
        AddressFamily family = destination?.AddressFamily ?? gateway?.AddressFamily ?? AddressFamily.InterNetwork;
        if (gateway is not null && gateway.AddressFamily != family)
        {
            throw new ArgumentException($"gateway {gateway} is not of the destination's family ({family})", nameof(gateway));
        }

        bool v4 = family == AddressFamily.InterNetwork;
        CheckPrefixLength(prefixLength, v4);
        if (destination is null && prefixLength != 0)
        {
            throw new ArgumentException("the default route (no destination) has prefix length 0", nameof(prefixLength));
        }

        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.NewRoute, Rtnl.Flags.Create | Rtnl.Flags.Excl);
        request.Write(new RtMsg
        {
            Family = (byte)(v4 ? Rtnl.AfInet : Rtnl.AfInet6),
            DestinationLength = (byte)prefixLength,
            Table = Rtnl.Route.TableMain,
            Protocol = Rtnl.Route.ProtocolBoot, // what `ip route add` uses: "installed by an admin"
            Scope = gateway is null ? Rtnl.Route.ScopeLink : Rtnl.Route.ScopeUniverse,
            Type = Rtnl.Route.TypeUnicast,
        });
        if (destination is not null)
        {
            request.AddAddress(Rtnl.Route.Destination, destination);
        }

        if (gateway is not null)
        {
            request.AddAddress(Rtnl.Route.Gateway, gateway);
        }

        request.AddUInt32(Rtnl.Route.OutputInterface, (uint)linkIndex);
        string target = $"{(destination is null ? "default" : $"{destination}/{prefixLength}")}{(gateway is null ? "" : $" via {gateway}")} dev {linkIndex}";
        _socket.Execute(request, "add route", target);
    }
}
