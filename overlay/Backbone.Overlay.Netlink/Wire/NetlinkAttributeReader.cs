using System.Runtime.InteropServices;

namespace Backbone.Overlay.Netlink.Wire;

/// <summary>Walks a run of attributes (a message's, or a nested attribute's value).</summary>
internal ref struct NetlinkAttributeReader
{
    private ReadOnlySpan<byte> _remaining;

    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes) => _remaining = attributes;

    /// <exception cref="InvalidDataException">An attribute's length is shorter than its header or runs past its parent.</exception>
    public bool TryRead(out NetlinkAttribute attribute)
    {
        if (_remaining.Length < NetlinkMessageBuilder.AttributeHeaderSize)
        {
            attribute = default;
            return false;
        }

        ushort length = MemoryMarshal.Read<ushort>(_remaining);
        ushort type = MemoryMarshal.Read<ushort>(_remaining[2..]);
        if (length < NetlinkMessageBuilder.AttributeHeaderSize || length > _remaining.Length)
        {
            throw new InvalidDataException($"netlink attribute {type & Rtnl.AttributeTypeMask} claims {length} bytes, {_remaining.Length} left");
        }

        attribute = new NetlinkAttribute((ushort)(type & Rtnl.AttributeTypeMask), _remaining[NetlinkMessageBuilder.AttributeHeaderSize..length]);
        _remaining = _remaining[Math.Min(_remaining.Length, NetlinkMessageBuilder.Align(length))..];
        return true;
    }
}
