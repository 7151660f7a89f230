using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;

namespace Backbone.Overlay.Membership.Wire;

/// <summary>
/// Turns <see cref="ProbeMessage"/>s into signed bytes and back. Layout (big-endian, README.md "Messages"):
/// <code>
/// version:u8=1  type:u8  nonce:u64  from:str  to:str
///   [ack]      subject:str
///   [ping-req] target:str  family:u8 (4|6)  address:4|16 bytes  port:u16
/// mac: 32 bytes = HMAC-SHA256(key, every byte before it)
/// str = length:u8 (1..128) + UTF-8
/// </code>
/// The MAC is checked before anything is parsed, so unauthenticated bytes never reach the parser;
/// the parser is still strict (exact length, valid UTF-8) because a key holder can be buggy.
/// Thread-safe: it holds only the key. Not a hot path (a few messages per period), so it
/// allocates its results.
/// </summary>
internal sealed class MessageCodec(byte[] key)
{
    public const int Version = 1;
    public const int MacBytes = 32;

    /// <summary>Version, type, nonce, two one-byte ids (lengths included), MAC.</summary>
    public const int MinMessageBytes = 1 + 1 + 8 + 2 + 2 + MacBytes;

    private readonly byte[] key = key.Length >= MembershipKey.MinBytes
        ? (byte[])key.Clone()
        : throw new ArgumentException($"a key of at least {MembershipKey.MinBytes} bytes is needed", nameof(key));

    /// <summary>The signed bytes of <paramref name="message"/>; throws <see cref="ArgumentException"/> for an id the format cannot carry.</summary>
    public byte[] Encode(in ProbeMessage message)
    {
        byte[] bytes = new byte[EncodedLength(message)];
        var writer = new SpanWriter(bytes);
        writer.Byte(Version);
        writer.Byte((byte)message.Type);
        writer.UInt64(message.Nonce);
        writer.String(message.From);
        writer.String(message.To);
        switch (message.Type)
        {
            case MessageType.Ack:
                writer.String(message.Subject!);
                break;
            case MessageType.PingReq:
                MemberAddress target = message.Target!;
                writer.String(target.NodeId);
                IPAddress address = Normalize(target.EndPoint.Address);
                writer.Byte(address.AddressFamily == AddressFamily.InterNetwork ? (byte)4 : (byte)6);
                writer.Address(address);
                writer.UInt16((ushort)target.EndPoint.Port);
                break;
        }

        int body = writer.Position;
        HMACSHA256.HashData(key, bytes.AsSpan(0, body), bytes.AsSpan(body, MacBytes));
        return bytes;
    }

    /// <summary>Checks the length and the MAC, then parses; never throws for any input.</summary>
    public DecodeResult TryDecode(ReadOnlySpan<byte> bytes, out ProbeMessage message)
    {
        message = default;
        if (bytes.Length < MinMessageBytes || bytes.Length > MembershipOptions.MaxMessageBytes)
        {
            return DecodeResult.BadLength;
        }

        ReadOnlySpan<byte> body = bytes[..^MacBytes];
        Span<byte> expected = stackalloc byte[MacBytes];
        HMACSHA256.HashData(key, body, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes[^MacBytes..]))
        {
            return DecodeResult.BadMac;
        }

        return TryParse(body, out message) ? DecodeResult.Ok : DecodeResult.Malformed;
    }

    private static bool TryParse(ReadOnlySpan<byte> body, out ProbeMessage message)
    {
        message = default;
        var reader = new SpanReader(body);
        if (!reader.Byte(out byte version) || version != Version || !reader.Byte(out byte type) || !reader.UInt64(out ulong nonce)
            || !reader.String(out string? from) || !reader.String(out string? to))
        {
            return false;
        }

        switch ((MessageType)type)
        {
            case MessageType.Ping:
                message = ProbeMessage.Ping(nonce, from, to);
                break;
            case MessageType.Ack:
                if (!reader.String(out string? subject))
                {
                    return false;
                }

                message = ProbeMessage.Ack(nonce, from, to, subject);
                break;
            case MessageType.PingReq:
                if (!reader.String(out string? target) || !reader.Byte(out byte family) || !reader.Address(family, out IPAddress? address)
                    || !reader.UInt16(out ushort port) || port == 0)
                {
                    return false;
                }

                message = ProbeMessage.PingReq(nonce, from, to, new MemberAddress(target, new IPEndPoint(address, port)));
                break;
            default:
                return false;
        }

        return reader.AtEnd;
    }

    private static int EncodedLength(in ProbeMessage message)
    {
        int length = 1 + 1 + 8 + StringLength(message.From, nameof(message.From)) + StringLength(message.To, nameof(message.To)) + MacBytes;
        return message.Type switch
        {
            MessageType.Ping => length,
            MessageType.Ack => length + StringLength(message.Subject ?? "", nameof(message.Subject)),
            MessageType.PingReq => length + StringLength(message.Target!.NodeId, nameof(message.Target))
                + 1 + (Normalize(message.Target.EndPoint.Address).AddressFamily == AddressFamily.InterNetwork ? 4 : 16) + 2,
            _ => throw new ArgumentException($"no such message type {message.Type}", nameof(message)),
        };
    }

    private static int StringLength(string value, string field)
    {
        MemberAddress.RequireValidNodeId(value, field);
        return 1 + Encoding.UTF8.GetByteCount(value);
    }

    /// <summary>IPv4-mapped IPv6 addresses travel as IPv4, so both ends compare them alike.</summary>
    internal static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Writes into a span sized beforehand by <see cref="EncodedLength"/>; overrunning it is a bug and throws.</summary>
    private ref struct SpanWriter(Span<byte> span)
    {
        private readonly Span<byte> span = span;

        public int Position { get; private set; }

        public void Byte(byte value) => span[Position++] = value;

        public void UInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[Position..], value);
            Position += 2;
        }

        public void UInt64(ulong value)
        {
            BinaryPrimitives.WriteUInt64BigEndian(span[Position..], value);
            Position += 8;
        }

        public void String(string value)
        {
            int written = Encoding.UTF8.GetBytes(value, span[(Position + 1)..]);
            span[Position] = (byte)written;
            Position += 1 + written;
        }

        public void Address(IPAddress address)
        {
            if (!address.TryWriteBytes(span[Position..], out int written))
            {
                throw new InvalidOperationException("the message was sized for a shorter address");
            }

            Position += written;
        }
    }

    /// <summary>Reads from untrusted bytes: every read checks the length first and reports failure instead of throwing.</summary>
    private ref struct SpanReader(ReadOnlySpan<byte> span)
    {
        private readonly ReadOnlySpan<byte> span = span;
        private int position;

        public readonly bool AtEnd => position == span.Length;

        public bool Byte(out byte value)
        {
            value = 0;
            if (position + 1 > span.Length)
            {
                return false;
            }

            value = span[position++];
            return true;
        }

        public bool UInt16(out ushort value)
        {
            value = 0;
            if (position + 2 > span.Length)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(span[position..]);
            position += 2;
            return true;
        }

        public bool UInt64(out ulong value)
        {
            value = 0;
            if (position + 8 > span.Length)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt64BigEndian(span[position..]);
            position += 8;
            return true;
        }

        public bool String([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            value = null;
            if (!Byte(out byte length) || length == 0 || length > MemberAddress.MaxNodeIdBytes || position + length > span.Length)
            {
                return false;
            }

            ReadOnlySpan<byte> utf8 = span.Slice(position, length);
            if (!Utf8.IsValid(utf8))
            {
                return false;
            }

            value = Encoding.UTF8.GetString(utf8);
            position += length;
            return true;
        }

        public bool Address(byte family, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address)
        {
            address = null;
            int length = family switch { 4 => 4, 6 => 16, _ => 0 };
            if (length == 0 || position + length > span.Length)
            {
                return false;
            }

            address = new IPAddress(span.Slice(position, length));
            position += length;
            return true;
        }
    }
}
