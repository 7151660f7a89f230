namespace Backbone.Server.Http2;

/// <summary>
/// The client's HPACK header table (RFC 7541 section 2.3) as far as <see cref="HpackAuthorityRewriter"/>
/// needs it: for each entry, only its size and its name's length, and whether the name is
/// <c>:authority</c>. The dynamic part evicts exactly as the client's encoder does, so an index
/// the client sends means the same entry here. Bounded: at most <c>limit / 32</c> entries.
/// </summary>
public sealed class HpackTableMirror
{
    /// <summary>RFC 7541 section 4.1: an entry's size is its name's and value's octets plus 32.</summary>
    public const int EntryOverhead = 32;

    /// <summary>The static table's size (RFC 7541 appendix A); dynamic indexes start after it.</summary>
    public const int StaticCount = 61;

    /// <summary>The table size every HTTP/2 connection starts with (SETTINGS_HEADER_TABLE_SIZE's default).</summary>
    public const int InitialMaxSize = 4096;

    /// <summary>The static table's names, index 1 first (values are not needed here).</summary>
    private static readonly string[] StaticNames =
    [
        ":authority", ":method", ":method", ":path", ":path", ":scheme", ":scheme",
        ":status", ":status", ":status", ":status", ":status", ":status", ":status",
        "accept-charset", "accept-encoding", "accept-language", "accept-ranges", "accept",
        "access-control-allow-origin", "age", "allow", "authorization", "cache-control",
        "content-disposition", "content-encoding", "content-language", "content-length",
        "content-location", "content-range", "content-type", "cookie", "date", "etag", "expect",
        "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range",
        "if-unmodified-since", "last-modified", "link", "location", "max-forwards",
        "proxy-authenticate", "proxy-authorization", "range", "referer", "refresh", "retry-after",
        "server", "set-cookie", "strict-transport-security", "transfer-encoding", "user-agent",
        "vary", "via", "www-authenticate",
    ];

    private readonly int limit;
    private readonly Entry[] ring;
    private int newest = -1;
    private int count;
    private int size;
    private int maxSize;

    /// <param name="limit">The server's SETTINGS_HEADER_TABLE_SIZE: the most a size update may ask for.</param>
    public HpackTableMirror(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        this.limit = limit;
        // The client may use the initial size until it signals the server's (which may be smaller).
        maxSize = InitialMaxSize;
        ring = new Entry[(Math.Max(limit, InitialMaxSize) / EntryOverhead) + 1];
    }

    /// <summary>The entries now in the dynamic table.</summary>
    public int Count => count;

    /// <summary>What the dynamic table holds, in RFC 7541 size units.</summary>
    public int Size => size;

    /// <summary>The name of an entry, by the index a header block uses (1 to 61 static, then dynamic, newest first).</summary>
    public bool TryGetName(int index, out int nameLength, out bool isAuthority)
    {
        if (index >= 1 && index <= StaticCount)
        {
            nameLength = StaticNames[index - 1].Length;
            isAuthority = index == 1;
            return true;
        }

        int age = index - StaticCount - 1;
        if (age >= 0 && age < count)
        {
            Entry entry = ring[(newest - age + ring.Length) % ring.Length];
            nameLength = entry.NameLength;
            isAuthority = entry.IsAuthority;
            return true;
        }

        nameLength = 0;
        isAuthority = false;
        return false;
    }

    /// <summary>Adds an entry as a literal with incremental indexing does (one larger than the table empties it).</summary>
    public void Add(int nameLength, int valueLength, bool isAuthority)
    {
        long entrySize = (long)nameLength + valueLength + EntryOverhead;
        if (entrySize > maxSize)
        {
            count = 0;
            size = 0;
            return;
        }

        EvictTo(maxSize - (int)entrySize);
        newest = (newest + 1) % ring.Length;
        ring[newest] = new Entry(nameLength, (int)entrySize, isAuthority);
        count++;
        size += (int)entrySize;
    }

    /// <summary>A dynamic table size update; false when it asks for more than the server allows.</summary>
    public bool TrySetMaxSize(int newMaxSize)
    {
        if (newMaxSize < 0 || newMaxSize > limit)
        {
            return false;
        }

        maxSize = newMaxSize;
        EvictTo(maxSize);
        return true;
    }

    private void EvictTo(int target)
    {
        while (size > target && count > 0)
        {
            int oldest = (newest - count + 1 + ring.Length) % ring.Length;
            size -= ring[oldest].Size;
            count--;
        }
    }

    private readonly record struct Entry(int NameLength, int Size, bool IsAuthority);
}
