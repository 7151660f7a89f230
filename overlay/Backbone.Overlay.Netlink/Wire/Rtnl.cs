namespace Backbone.Overlay.Netlink.Wire;

/// <summary>
/// The numbers of the kernel's netlink and rtnetlink ABI that this client uses, named as in
/// linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h, linux/neighbour.h and
/// linux/veth.h. They are stable ABI: the kernel never renumbers them.
/// </summary>
internal static class Rtnl
{
    public const int AfNetlink = 16;
    public const int NetlinkRoute = 0;
    public const int AfUnspec = 0;
    public const int AfInet = 2;
    public const int AfBridge = 7;
    public const int AfInet6 = 10;

    /// <summary>nlmsghdr.nlmsg_type values below 16 are netlink's own; rtnetlink's start at 16.</summary>
    public static class Message
    {
        public const ushort Noop = 1;
        public const ushort Error = 2;
        public const ushort Done = 3;
        public const ushort NewLink = 16;
        public const ushort DeleteLink = 17;
        public const ushort GetLink = 18;
        public const ushort NewAddress = 20;
        public const ushort GetAddress = 22;
        public const ushort NewRoute = 24;
        public const ushort GetRoute = 26;
        public const ushort NewNeighbour = 28;
        public const ushort DeleteNeighbour = 29;
        public const ushort GetNeighbour = 30;
    }

    /// <summary>nlmsghdr.nlmsg_flags. The same bits mean different things on requests and on NLMSG_ERROR.</summary>
    public static class Flags
    {
        public const ushort Request = 0x1;
        public const ushort Multi = 0x2;
        public const ushort Ack = 0x4;
        public const ushort DumpInterrupted = 0x10;
        public const ushort Replace = 0x100;
        public const ushort Excl = 0x200;
        public const ushort Create = 0x400;
        public const ushort Dump = 0x300; // NLM_F_ROOT | NLM_F_MATCH

        /// <summary>On NLMSG_ERROR: only the request's header was echoed (NETLINK_CAP_ACK).</summary>
        public const ushort Capped = 0x100;

        /// <summary>On NLMSG_ERROR: extended-ack attributes follow the echoed request (NETLINK_EXT_ACK).</summary>
        public const ushort AckTlvs = 0x200;
    }

    /// <summary>Socket options at SOL_NETLINK.</summary>
    public static class SocketOption
    {
        public const int SolNetlink = 270;
        public const int CapAck = 10;
        public const int ExtAck = 11;
    }

    /// <summary>Attributes of an NLMSG_ERROR's extended ack (enum nlmsgerr_attrs).</summary>
    public const ushort ExtAckMessage = 1;

    /// <summary>The top bits of nla_type are flags; the type is the low 14.</summary>
    public const ushort AttributeTypeMask = 0x3fff;

    public const uint IffUp = 0x1;

    /// <summary>IFLA_*: attributes of RTM_*LINK.</summary>
    public static class Link
    {
        public const ushort Address = 1;
        public const ushort IfName = 3;
        public const ushort Mtu = 4;
        public const ushort Master = 10;
        public const ushort LinkInfo = 18;
        public const ushort NetNsFd = 28;

        public const ushort InfoKind = 1;
        public const ushort InfoData = 2;

        public const ushort VethInfoPeer = 1;

        public const ushort VxlanId = 1;
        public const ushort VxlanGroup = 2; // the remote or multicast group; IFLA_VXLAN_GROUP6 for IPv6
        public const ushort VxlanLocal = 4;
        public const ushort VxlanLearning = 7;
        public const ushort VxlanProxy = 11;
        public const ushort VxlanPort = 15;
        public const ushort VxlanGroup6 = 16;
        public const ushort VxlanLocal6 = 17;
    }

    /// <summary>IFA_*: attributes of RTM_*ADDR.</summary>
    public static class Address
    {
        public const ushort Peer = 1; // IFA_ADDRESS: the far end on point-to-point links, else the same as IFA_LOCAL
        public const ushort Local = 2;
        public const ushort Broadcast = 4;
    }

    /// <summary>RTA_* and the rtmsg field values of RTM_*ROUTE.</summary>
    public static class Route
    {
        public const ushort Destination = 1;
        public const ushort OutputInterface = 4;
        public const ushort Gateway = 5;
        public const ushort Table = 15;

        public const byte TableMain = 254;
        public const byte ProtocolBoot = 3;
        public const byte ScopeUniverse = 0;
        public const byte ScopeLink = 253;
        public const byte TypeUnicast = 1;
    }

    /// <summary>NDA_*, NUD_* and NTF_*: RTM_*NEIGH, which also carries bridge FDB entries.</summary>
    public static class Neighbour
    {
        public const ushort Destination = 1;
        public const ushort LinkLayerAddress = 2;

        /// <summary>NDA_IFINDEX: in a dump request, only this link's entries.</summary>
        public const ushort IfIndex = 8;
        public const ushort StatePermanent = 0x80;
        public const byte FlagSelf = 0x2;
    }
}
