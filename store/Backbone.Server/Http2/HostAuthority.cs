using System.Buffers;

namespace Backbone.Server.Http2;

/// <summary>
/// The <c>:authority</c> values Kestrel accepts, and how to turn one it refuses into one it
/// accepts. Kestrel resets any HTTP/2 stream whose :authority is not a valid Host
/// (<c>HttpUtilities.IsHostHeaderValid</c>); etcd's Go clients send invalid ones that etcd's own
/// server (grpc-go, which does not check) has always taken:
/// <list type="bullet">
/// <item>clientv3 3.4 <c>Client.Dial(ep)</c> dials <c>passthrough:///</c> + the endpoint, and grpc-go
/// uses everything after the third slash as :authority, so an endpoint given as a URL sends
/// <c>http://127.0.0.1:2379</c>. etcdctl's <c>endpoint status|hashkv|defrag --cluster</c> dial the
/// members' client URLs this way (and any endpoint written as <c>http://...</c> without --cluster).</item>
/// <item>clientv3 3.5.0 sends <c>#initially=[http://a:2379;http://b:2379]</c> (etcd-io/etcd#13192).</item>
/// </list>
/// </summary>
public static class HostAuthority
{
    /// <summary>Kestrel's host characters (RFC 3986 reg-name less what Http.Sys refuses).</summary>
    private static readonly SearchValues<byte> HostChars =
        SearchValues.Create("!$&'()-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private static readonly SearchValues<byte> Ipv6Chars = SearchValues.Create("0123456789ABCDEFabcdef:."u8);

    private static readonly SearchValues<byte> PathStart = SearchValues.Create("/?#"u8);

    /// <summary>
    /// Whether Kestrel takes <paramref name="value"/> as a Host: empty; or a host name or IPv4
    /// address, or an IPv6 address in brackets (at least <c>[::1]</c>), then optionally
    /// <c>:</c> and one or more digits. The same rules as Kestrel's, kept in step by a test.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return true;
        }

        int hostEnd = HostLength(value);
        return hostEnd > 0 && IsPort(value[hostEnd..]);
    }

    /// <summary>
    /// A valid :authority for an invalid <paramref name="value"/>: the host and port of the first
    /// URL in it (after its <c>scheme://</c> and any <c>user@</c>), or empty when there is none.
    /// Never longer than <paramref name="value"/>, which keeps the HPACK tables in step (see
    /// <see cref="HpackAuthorityRewriter"/>).
    /// </summary>
    public static byte[] Repair(ReadOnlySpan<byte> value)
    {
        int scheme = value.IndexOf("://"u8);
        if (scheme >= 0)
        {
            value = value[(scheme + 3)..];
        }

        int pathStart = value.IndexOfAny(PathStart);
        int at = (pathStart >= 0 ? value[..pathStart] : value).LastIndexOf((byte)'@');
        if (at >= 0)
        {
            value = value[(at + 1)..];
        }

        int end = HostLength(value);
        if (end <= 0)
        {
            return [];
        }

        if (end < value.Length && value[end] == ':')
        {
            int digits = end + 1;
            while (digits < value.Length && char.IsAsciiDigit((char)value[digits]))
            {
                digits++;
            }

            if (digits > end + 1)
            {
                end = digits;
            }
        }

        return IsValid(value[..end]) ? value[..end].ToArray() : [];
    }

    /// <summary>The length of the host at the start of <paramref name="value"/>, 0 when there is none.</summary>
    private static int HostLength(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return 0;
        }

        if (value[0] == '[')
        {
            int close = value.IndexOf((byte)']');
            // "[::1]" is the shortest address Kestrel takes.
            return close >= 4 && value[1..close].IndexOfAnyExcept(Ipv6Chars) < 0 ? close + 1 : 0;
        }

        int end = value.IndexOfAnyExcept(HostChars);
        return end < 0 ? value.Length : end;
    }

    private static bool IsPort(ReadOnlySpan<byte> rest)
    {
        if (rest.IsEmpty)
        {
            return true;
        }

        if (rest[0] != ':' || rest.Length == 1)
        {
            return false;
        }

        foreach (byte b in rest[1..])
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }
        }

        return true;
    }
}
