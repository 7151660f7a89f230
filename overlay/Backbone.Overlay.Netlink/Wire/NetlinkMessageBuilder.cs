using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Backbone.Overlay.Netlink.Wire;

/// <summary>
/// Builds one netlink request: the 16-byte header, the family's fixed struct, then attributes
/// (u16 length, u16 type, value), each padded to 4 bytes. A nested attribute is a
/// <see cref="BeginNested"/>/<see cref="EndNested"/> pair: its length is patched at the end so it
/// covers its children. Numbers are host byte order, as netlink wants, unless a method says otherwise.
/// <para>
/// Worked example: after an ifinfomsg, <c>AddString(IFLA_IFNAME, "br0")</c> then
/// <c>AddUInt32(IFLA_MTU, 1450)</c> append
/// <c>08 00 03 00 62 72 30 00</c> (length 8 = 4 header + "br0\0") and
/// <c>08 00 04 00 aa 05 00 00</c>; a 2-character name would have length 7 and one pad byte.
/// </para>
/// One builder per request, used by one thread. Requests are rare control-plane calls, so the
/// buffer is a plain array that grows, up to <see cref="MaxMessageBytes"/>.
/// </summary>
internal sealed class NetlinkMessageBuilder
{
    /// <summary>Far above any request this client makes (the largest, a veth pair, is ~100 bytes): a bound, not a tuning knob.</summary>
    public const int MaxMessageBytes = 16 * 1024;

    public const int AttributeHeaderSize = 4;

    private byte[] _buffer = new byte[256];
    private int _length;
    private int _openNests;

    public NetlinkMessageBuilder(ushort type, ushort flags)
    {
        NetlinkHeader header = new() { Type = type, Flags = flags };
        Append(ref header);
    }

    /// <summary>Bytes written so far, padding included.</summary>
    public int Length => _length;

    /// <summary>Rounds a length up to netlink's 4-byte alignment (NLMSG_ALIGN, NLA_ALIGN).</summary>
    public static int Align(int length) => (length + 3) & ~3;

    /// <summary>Appends a family's fixed struct (ifinfomsg, rtmsg...), padded to 4 bytes.</summary>
    public void Write<T>(T fixedPart) where T : unmanaged => Append(ref fixedPart);

    public void Add(ushort type, ReadOnlySpan<byte> value)
    {
        int total = AttributeHeaderSize + value.Length;
        if (total > ushort.MaxValue)
        {
            throw new ArgumentException($"attribute {type} is {value.Length} bytes; netlink attributes hold at most {ushort.MaxValue - AttributeHeaderSize}", nameof(value));
        }

        Span<byte> target = Reserve(total);
        MemoryMarshal.Write(target, (ushort)total);
        MemoryMarshal.Write(target[2..], type);
        value.CopyTo(target[AttributeHeaderSize..]);
    }

    public void AddUInt8(ushort type, byte value) => Add(type, [value]);

    public void AddUInt32(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        MemoryMarshal.Write(bytes, value);
        Add(type, bytes);
    }

    /// <summary>A u16 in network byte order (NLA_BE16), such as IFLA_VXLAN_PORT.</summary>
    public void AddUInt16BigEndian(ushort type, ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        Add(type, bytes);
    }

    /// <summary>A NUL-terminated string (NLA_STRING / NLA_NUL_STRING), such as IFLA_IFNAME.</summary>
    public void AddString(ushort type, string value)
    {
        int byteCount = Encoding.UTF8.GetByteCount(value);
        Span<byte> bytes = byteCount < 256 ? stackalloc byte[byteCount + 1] : new byte[byteCount + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        bytes[byteCount] = 0;
        Add(type, bytes);
    }

    /// <summary>An IPv4 (4 bytes) or IPv6 (16 bytes) address in network byte order, as the kernel keeps them.</summary>
    public void AddAddress(ushort type, IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        bool written = address.TryWriteBytes(bytes, out int count);
        Debug.Assert(written, "16 bytes hold any IP address");
        Add(type, bytes[..count]);
    }

    /// <summary>Opens a nested attribute; everything added until <see cref="EndNested"/> becomes its value.</summary>
    /// <returns>The nest's offset, to pass to <see cref="EndNested"/>.</returns>
    public int BeginNested(ushort type)
    {
        int start = _length;
        Add(type, []);
        _openNests++;
        return start;
    }

    public void EndNested(int start)
    {
        if (_openNests == 0 || start < NetlinkHeader.Size || start > _length - AttributeHeaderSize)
        {
            throw new InvalidOperationException($"EndNested({start}) does not match an open BeginNested");
        }

        int nestLength = _length - start;
        if (nestLength > ushort.MaxValue)
        {
            throw new InvalidOperationException($"nested attribute of {nestLength} bytes exceeds netlink's u16 length");
        }

        MemoryMarshal.Write(_buffer.AsSpan(start), (ushort)nestLength);
        _openNests--;
    }

    /// <summary>Patches the header's length and sequence number and returns the finished message.</summary>
    public ReadOnlySpan<byte> Finish(uint sequence)
    {
        if (_openNests != 0)
        {
            throw new InvalidOperationException($"{_openNests} nested attribute(s) still open");
        }

        Span<byte> header = _buffer.AsSpan(0, NetlinkHeader.Size);
        NetlinkHeader value = MemoryMarshal.Read<NetlinkHeader>(header);
        value.Length = (uint)_length;
        value.Sequence = sequence;
        MemoryMarshal.Write(header, in value);
        return _buffer.AsSpan(0, _length);
    }

    private void Append<T>(ref T value) where T : unmanaged
    {
        Span<byte> target = Reserve(Unsafe.SizeOf<T>());
        MemoryMarshal.Write(target, in value);
    }

    /// <summary>Reserves <paramref name="size"/> bytes plus padding; padding bytes are zero, as the kernel expects.</summary>
    private Span<byte> Reserve(int size)
    {
        int padded = Align(size);
        if (_length + padded > MaxMessageBytes)
        {
            throw new InvalidOperationException($"netlink request would exceed {MaxMessageBytes} bytes");
        }

        if (_length + padded > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(MaxMessageBytes, Math.Max(_buffer.Length * 2, _length + padded)));
        }

        Span<byte> target = _buffer.AsSpan(_length, padded);
        target.Clear();
        _length += padded;
        return target[..size];
    }
}
