namespace Backbone.Overlay.Netlink;

/// <summary>
/// ndm_state: the NUD_* bits of linux/neighbour.h, for neighbours and FDB entries alike.
/// An overlay's entries are <see cref="Permanent"/>: never probed, never aged out, kept when the
/// link loses carrier. <see cref="NoArp"/> marks entries the kernel makes itself (multicast, and
/// devices without ARP) and never resolves. The underlying type is the kernel field's (u16).
/// </summary>
[Flags]
public enum NeighbourState : ushort
{
    None = 0x00,
    Incomplete = 0x01,
    Reachable = 0x02,
    Stale = 0x04,
    Delay = 0x08,
    Probe = 0x10,
    Failed = 0x20,
    NoArp = 0x40,
    Permanent = 0x80,
}
