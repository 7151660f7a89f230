using System.Runtime.InteropServices;

namespace Backbone.Overlay.Netlink.Wire;

/// <summary>struct ifinfomsg (16 bytes): the fixed part of RTM_*LINK and of a veth's peer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfInfoMsg
{
    public byte Family;
    public byte Pad;
    public ushort DeviceType;
    public int Index;
    public uint Flags;

    /// <summary>Which bits of <see cref="Flags"/> a request changes; 0 leaves them all alone.</summary>
    public uint Change;
}
