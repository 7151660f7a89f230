namespace Backbone.Overlay.Netlink;

/// <summary>
/// ndm_flags: the NTF_* bits of linux/neighbour.h. For FDB entries <see cref="Self"/> means the
/// device's own table (a vxlan device's MAC → VTEP entries); a bridge's entries for its port
/// come without it (they name the bridge in NDA_MASTER instead). The underlying type is the
/// kernel field's (u8).
/// </summary>
[Flags]
public enum NeighbourFlags : byte
{
    None = 0x00,
    Use = 0x01,
    Self = 0x02,
    Master = 0x04,
    Proxy = 0x08,
    ExtLearned = 0x10,
    Offloaded = 0x20,
    Sticky = 0x40,
    Router = 0x80,
}
