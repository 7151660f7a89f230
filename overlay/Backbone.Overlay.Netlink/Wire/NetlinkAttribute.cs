using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Backbone.Overlay.Netlink.Wire;

/// <summary>One received attribute; <see cref="Value"/> views the receive buffer (see <see cref="NetlinkMessage"/>).</summary>
internal readonly ref struct NetlinkAttribute
{
    public NetlinkAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        Type = type;
        Value = value;
    }

    /// <summary>The type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER flag bits.</summary>
    public ushort Type { get; }

    public ReadOnlySpan<byte> Value { get; }

    public byte AsUInt8() => Value.Length >= 1 ? Value[0] : throw Short(1);

    public uint AsUInt32() => Value.Length >= 4 ? MemoryMarshal.Read<uint>(Value) : throw Short(4);

    public ushort AsUInt16BigEndian() => Value.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Value) : throw Short(2);

    /// <summary>A string up to its NUL; the kernel terminates names, but a missing NUL is tolerated.</summary>
    public string AsString()
    {
        int end = Value.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? Value : Value[..end]);
    }

    /// <summary>A 4- or 16-byte address in network byte order.</summary>
    public IPAddress AsAddress() => Value.Length is 4 or 16
        ? new IPAddress(Value)
        : throw new InvalidDataException($"netlink attribute {Type}: {Value.Length} bytes is not an IP address");

    public NetlinkAttributeReader Nested() => new(Value);

    private InvalidDataException Short(int needed) =>
        new($"netlink attribute {Type}: {Value.Length} bytes, needs {needed}");
}
