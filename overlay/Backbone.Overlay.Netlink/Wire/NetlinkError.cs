using System.Runtime.InteropServices;

namespace Backbone.Overlay.Netlink.Wire;

/// <summary>
/// Reads the kernel's answer to a request: NLMSG_ERROR (error 0 is the ack) or a dump's
/// NLMSG_DONE. Layout of NLMSG_ERROR's payload:
/// <code>
/// int error            -errno, 0 for an ack
/// nlmsghdr request     the request's header, echoed
/// [request payload]    absent when NLM_F_CAPPED is set (we ask for that: NETLINK_CAP_ACK)
/// [attributes]         when NLM_F_ACK_TLVS is set: NLMSGERR_ATTR_MSG is the kernel's text
/// </code>
/// NLMSG_DONE's payload is the int alone, then the same attributes.
/// </summary>
internal static class NetlinkError
{
    /// <summary>Returns the errno (positive; 0 = success) and the kernel's extended-ack text, if any.</summary>
    /// <exception cref="InvalidDataException">The payload is too short for its type.</exception>
    public static int Decode(in NetlinkMessage message, out string? kernelMessage)
    {
        kernelMessage = null;
        ReadOnlySpan<byte> payload = message.Payload;
        if (message.Type == Rtnl.Message.Done && payload.Length < 4)
        {
            return 0; // old kernels end a dump with an empty NLMSG_DONE
        }

        if (payload.Length < 4)
        {
            throw new InvalidDataException($"netlink message type {message.Type}: {payload.Length} bytes, too short for an error code");
        }

        int errno = -MemoryMarshal.Read<int>(payload);
        if ((message.Flags & Rtnl.Flags.AckTlvs) == 0)
        {
            return errno;
        }

        int attributesStart = 4;
        if (message.Type == Rtnl.Message.Error)
        {
            if (payload.Length < 4 + NetlinkHeader.Size)
            {
                throw new InvalidDataException($"NLMSG_ERROR of {payload.Length} bytes has no echoed request header");
            }

            NetlinkHeader echoed = MemoryMarshal.Read<NetlinkHeader>(payload[4..]);
            attributesStart += (message.Flags & Rtnl.Flags.Capped) != 0
                ? NetlinkHeader.Size
                : NetlinkMessageBuilder.Align((int)echoed.Length);
        }

        if (attributesStart >= payload.Length)
        {
            return errno;
        }

        NetlinkAttributeReader attributes = new(payload[attributesStart..]);
        while (attributes.TryRead(out NetlinkAttribute attribute))
        {
            if (attribute.Type == Rtnl.ExtAckMessage)
            {
                kernelMessage = attribute.AsString();
            }
        }

        return errno;
    }
}
