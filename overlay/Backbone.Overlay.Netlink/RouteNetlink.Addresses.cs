using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Backbone.Overlay.Netlink.Wire;

namespace Backbone.Overlay.Netlink;

/// <summary>Addresses: RTM_GETADDR, RTM_NEWADDR.</summary>
public sealed partial class RouteNetlink
{
    /// <summary>Every IPv4 and IPv6 address in the namespace (an RTM_GETADDR dump).</summary>
    public IReadOnlyList<InterfaceAddress> GetAddresses() => _socket.Query<InterfaceAddress>(
        () =>
        {
            NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.GetAddress, Rtnl.Flags.Dump);
            request.Write(new IfAddrMsg { Family = Rtnl.AfUnspec });
            return request;
        },
        RtnlDecoder.TryDecodeAddress,
        "dump",
        "addresses");

    /// <summary>
    /// Like `ip addr add ADDRESS/PREFIX brd + dev LINK`: IFA_LOCAL and IFA_ADDRESS both carry the
    /// address (IFA_ADDRESS would be the far end on a point-to-point link), and an IPv4 prefix
    /// shorter than /31 also gets its broadcast address. Adding one that exists fails with EEXIST.
    /// </summary>
    public void AddAddress(int linkIndex, IPAddress address, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(linkIndex);
        ArgumentNullException.ThrowIfNull(address);
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        CheckPrefixLength(prefixLength, v4);

        NetlinkMessageBuilder request = NetlinkSocket.Request(Rtnl.Message.NewAddress, Rtnl.Flags.Create | Rtnl.Flags.Excl);
        request.Write(new IfAddrMsg
        {
            Family = (byte)(v4 ? Rtnl.AfInet : Rtnl.AfInet6),
            PrefixLength = (byte)prefixLength,
            Index = (uint)linkIndex,
        });
        request.AddAddress(Rtnl.Address.Local, address);
        request.AddAddress(Rtnl.Address.Peer, address);
        if (v4 && prefixLength < 31)
        {
            request.AddAddress(Rtnl.Address.Broadcast, Broadcast(address, prefixLength));
        }

        _socket.Execute(request, "add address", $"{address}/{prefixLength} on link {linkIndex}");
    }

    /// <summary>The address with every host bit set: 10.1.2.3/24 gives 10.1.2.255.</summary>
    internal static IPAddress Broadcast(IPAddress address, int prefixLength)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        uint hostMask = prefixLength >= 32 ? 0 : uint.MaxValue >> prefixLength; // C# masks shift counts to 5 bits: a /32 needs its own case
        BinaryPrimitives.WriteUInt32BigEndian(bytes, BinaryPrimitives.ReadUInt32BigEndian(bytes) | hostMask);
        return new IPAddress(bytes);
    }

    private static void CheckPrefixLength(int prefixLength, bool v4)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, v4 ? 32 : 128);
    }
}
