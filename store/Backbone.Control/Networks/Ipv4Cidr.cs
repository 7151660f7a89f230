using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Backbone.Control.Networks;

/// <summary>
/// An IPv4 prefix, always in canonical form (host bits zero): <c>10.0.9.0/24</c>. Addresses are
/// host-order <see cref="uint"/>s so that ranges are plain arithmetic.
/// </summary>
public readonly record struct Ipv4Cidr
{
    private Ipv4Cidr(uint network, int prefixLength)
    {
        Network = network;
        PrefixLength = prefixLength;
    }

    /// <summary>The first address (host bits zero).</summary>
    public uint Network { get; }

    public int PrefixLength { get; }

    public uint Mask => PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);

    /// <summary>The last address (host bits one): the broadcast address of a subnet.</summary>
    public uint Last => Network | ~Mask;

    /// <summary>How many addresses the prefix spans (2^(32 - length)).</summary>
    public ulong Size => 1UL << (32 - PrefixLength);

    public static Ipv4Cidr Of(uint address, int prefixLength)
    {
        if (prefixLength is < 0 or > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, "an IPv4 prefix length is 0-32");
        }

        uint mask = prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);
        return new Ipv4Cidr(address & mask, prefixLength);
    }

    /// <summary>
    /// Parses <c>a.b.c.d/n</c>. Host bits must be zero (<c>10.0.9.1/24</c> is refused, with the
    /// canonical form in the error), as Docker refuses them: a typo there is usually a mistake.
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out Ipv4Cidr? cidr, [NotNullWhen(false)] out string? error)
    {
        cidr = null;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            error = $"\"{text}\" is not a subnet in CIDR form: write it as address/prefix-length, e.g. 10.0.9.0/24";
            return false;
        }

        if (!TryParseAddress(text[..slash], out uint address))
        {
            error = $"\"{text}\" is not an IPv4 subnet: \"{text[..slash]}\" is not an IPv4 address (IPv6 subnets are not supported yet)";
            return false;
        }

        if (!int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int length) || length > 32)
        {
            error = $"\"{text}\" is not an IPv4 subnet: the prefix length must be a number from 0 to 32";
            return false;
        }

        Ipv4Cidr parsed = Of(address, length);
        if (parsed.Network != address)
        {
            error = $"\"{text}\" has host bits set: the subnet is {parsed}";
            return false;
        }

        cidr = parsed;
        error = null;
        return true;
    }

    /// <summary>Parses a dotted-quad IPv4 address into host order (no other IPAddress forms).</summary>
    public static bool TryParseAddress(string text, out uint address)
    {
        address = 0;
        if (text.Count(c => c == '.') != 3 || !IPAddress.TryParse(text, out IPAddress? parsed) || parsed.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        address = BinaryPrimitives.ReadUInt32BigEndian(parsed.GetAddressBytes());
        return true;
    }

    public static string FormatAddress(uint address) =>
        $"{address >> 24}.{(address >> 16) & 0xff}.{(address >> 8) & 0xff}.{address & 0xff}";

    public bool Contains(uint address) => (address & Mask) == Network;

    /// <summary>Whether <paramref name="other"/> lies wholly inside this prefix.</summary>
    public bool Contains(Ipv4Cidr other) => other.PrefixLength >= PrefixLength && Contains(other.Network);

    /// <summary>Whether the two prefixes share any address (one then contains the other).</summary>
    public bool Overlaps(Ipv4Cidr other) => Contains(other.Network) || other.Contains(Network);

    public override string ToString() => $"{FormatAddress(Network)}/{PrefixLength}";
}
