using System.Globalization;
using Backbone.Control.Networks;

namespace Backbone.Dns.Names;

/// <summary>
/// Spelling of names in the table: every key is lower-case with a trailing dot, so a question
/// needs one lower-casing copy into a stack buffer and one dictionary probe.
/// </summary>
internal static class DnsNames
{
    /// <summary>A name on the wire is at most 255 octets, so 254 characters of text with the dot: longer input cannot be ours.</summary>
    public const int MaxChars = 256;

    /// <summary>The key for a name from a record: <c>Web</c> → <c>web.</c>.</summary>
    public static string Key(string name) => string.Concat(name.ToLowerInvariant(), ".");

    /// <summary>The key for <paramref name="name"/> qualified by its network: <c>web</c>, <c>Front</c> → <c>web.front.</c>.</summary>
    public static string Qualified(string name, string network) => string.Concat(name.ToLowerInvariant(), ".", network.ToLowerInvariant(), ".");

    /// <summary>
    /// Copies a question's name into <paramref name="buffer"/> as a key: lower-case, with one
    /// trailing dot. False for the root, an empty name, or one too long to be in the table.
    /// </summary>
    public static bool TryKey(ReadOnlySpan<char> name, Span<char> buffer, out int length)
    {
        length = 0;
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        if (name.IsEmpty || name.Length + 1 > buffer.Length || name.Length + 1 > MaxChars)
        {
            return false;
        }

        // InvariantGlobalization is on: this is a plain per-char mapping and never allocates.
        length = name.ToLowerInvariant(buffer);
        buffer[length++] = '.';
        return true;
    }

    /// <summary>
    /// For <c>_port._proto.rest.</c>, the key <c>rest.</c>: the service an SRV question is about.
    /// False unless the first two labels both start with an underscore.
    /// </summary>
    public static bool TrySrvParent(ReadOnlySpan<char> key, out ReadOnlySpan<char> parent)
    {
        parent = default;
        if (!key.StartsWith('_'))
        {
            return false;
        }

        int first = key.IndexOf('.');
        if (first < 0 || first + 1 >= key.Length || key[first + 1] != '_')
        {
            return false;
        }

        int second = key[(first + 1)..].IndexOf('.');
        int start = first + 1 + second + 1;
        if (second < 0 || start >= key.Length)
        {
            return false;
        }

        parent = key[start..];
        return true;
    }

    /// <summary>
    /// Parses a dotted IPv4 address from a record into its canonical text and its reverse name:
    /// <c>10.0.9.2</c> → <c>2.9.0.10.in-addr.arpa.</c>. False for anything else (IPv6 is not
    /// stored yet; a malformed record must not break the table).
    /// </summary>
    public static bool TryIpv4(string address, out string canonical, out string reverse)
    {
        canonical = "";
        reverse = "";
        if (!Ipv4Cidr.TryParseAddress(address, out uint value))
        {
            return false;
        }

        canonical = Ipv4Cidr.FormatAddress(value);
        reverse = string.Create(CultureInfo.InvariantCulture, $"{value & 0xff}.{(value >> 8) & 0xff}.{(value >> 16) & 0xff}.{value >> 24}.in-addr.arpa.");
        return true;
    }

    /// <summary>The first 12 characters of a container or task id, as <c>docker ps</c> shows it.</summary>
    public static string ShortId(string id) => id.Length > 12 ? id[..12] : id;
}
