using System.Runtime.InteropServices;

namespace Backbone.Overlay.Netlink.Wire;

/// <summary>struct ndmsg (12 bytes): the fixed part of RTM_*NEIGH (neighbours and bridge FDB entries).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NdMsg
{
    public byte Family;
    public byte Pad1;
    public ushort Pad2;
    public int Index;
    public ushort State;
    public byte Flags;
    public byte Type;
}
