using System.Runtime.InteropServices;

namespace Backbone.Overlay.Netlink.Wire;

/// <summary>struct nlmsghdr: 16 bytes at the start of every message, in host byte order.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NetlinkHeader
{
    public const int Size = 16;

    /// <summary>The whole message's length including this header, before the padding to 4 bytes.</summary>
    public uint Length;
    public ushort Type;
    public ushort Flags;
    public uint Sequence;
    public uint PortId;
}
