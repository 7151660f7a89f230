using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backbone.Overlay.Netlink.Wire;

/// <summary>
/// One message of a received datagram. <see cref="Payload"/> is a view into the receive buffer:
/// valid only until the next receive on the same socket, so decode it before reading on.
/// </summary>
internal readonly ref struct NetlinkMessage
{
    public NetlinkMessage(ushort type, ushort flags, uint sequence, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Flags = flags;
        Sequence = sequence;
        Payload = payload;
    }

    public ushort Type { get; }

    public ushort Flags { get; }

    public uint Sequence { get; }

    /// <summary>Everything after the 16-byte header, without the trailing padding.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Reads the family's fixed struct and returns the attributes that follow it.</summary>
    /// <exception cref="InvalidDataException">The payload is shorter than the struct.</exception>
    public T ReadFixed<T>(out NetlinkAttributeReader attributes) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (Payload.Length < size)
        {
            throw new InvalidDataException($"netlink message type {Type}: {Payload.Length} bytes, shorter than its {size}-byte header");
        }

        int attributesStart = Math.Min(Payload.Length, NetlinkMessageBuilder.Align(size));
        attributes = new NetlinkAttributeReader(Payload[attributesStart..]);
        return MemoryMarshal.Read<T>(Payload);
    }
}
