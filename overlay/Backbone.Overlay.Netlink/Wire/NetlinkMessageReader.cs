using System.Runtime.InteropServices;

namespace Backbone.Overlay.Netlink.Wire;

/// <summary>
/// Walks the messages of one received datagram; the kernel packs several (a dump's entries)
/// into one, each starting on a 4-byte boundary.
/// </summary>
internal ref struct NetlinkMessageReader
{
    private ReadOnlySpan<byte> _remaining;

    public NetlinkMessageReader(ReadOnlySpan<byte> datagram) => _remaining = datagram;

    /// <exception cref="InvalidDataException">A header's length is impossible: shorter than the
    /// header or longer than what was received (a datagram truncated by a too small buffer).</exception>
    public bool TryRead(out NetlinkMessage message)
    {
        if (_remaining.Length < NetlinkHeader.Size)
        {
            message = default;
            return false;
        }

        NetlinkHeader header = MemoryMarshal.Read<NetlinkHeader>(_remaining);
        if (header.Length < NetlinkHeader.Size || header.Length > _remaining.Length)
        {
            throw new InvalidDataException($"netlink message claims {header.Length} bytes, {_remaining.Length} left in the datagram");
        }

        int length = (int)header.Length;
        message = new NetlinkMessage(header.Type, header.Flags, header.Sequence, _remaining[NetlinkHeader.Size..length]);
        _remaining = _remaining[Math.Min(_remaining.Length, NetlinkMessageBuilder.Align(length))..];
        return true;
    }
}
