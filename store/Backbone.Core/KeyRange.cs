namespace Backbone.Core;

/// <summary>
/// The keys a request names, with etcd's rules for (key, range_end):
/// <list type="bullet">
/// <item>range_end empty: the single key <c>key</c>;</item>
/// <item>range_end = "\0": every key ≥ <c>key</c> (and key "\0" too: every key);</item>
/// <item>otherwise the half-open interval [key, range_end); empty if range_end ≤ key.</item>
/// </list>
/// A prefix query is [p, p+1) where p+1 is <see cref="PrefixEnd"/>.
/// </summary>
public readonly struct KeyRange
{
    /// <summary>Inclusive lower bound.</summary>
    public byte[] Start { get; }

    /// <summary>Exclusive upper bound; null means unbounded.</summary>
    public byte[]? End { get; }

    /// <summary>True when the range names exactly <see cref="Start"/>.</summary>
    public bool IsSingleKey { get; }

    private KeyRange(byte[] start, byte[]? end, bool isSingleKey)
    {
        Start = start;
        End = end;
        IsSingleKey = isSingleKey;
    }

    public static KeyRange Single(byte[] key) => new(key, null, true);

    public static KeyRange FromRequest(byte[] key, byte[]? rangeEnd)
    {
        if (rangeEnd is null || rangeEnd.Length == 0)
        {
            return Single(key);
        }

        if (rangeEnd.Length == 1 && rangeEnd[0] == 0)
        {
            // "\0" as range_end means "to the end of the keyspace"; key "\0" then means "from the start".
            byte[] start = key.Length == 1 && key[0] == 0 ? [] : key;
            return new KeyRange(start, null, false);
        }

        return new KeyRange(key, rangeEnd, false);
    }

    public bool Contains(ReadOnlySpan<byte> key)
    {
        if (IsSingleKey)
        {
            return key.SequenceEqual(Start);
        }

        return key.SequenceCompareTo(Start) >= 0 && (End is null || key.SequenceCompareTo(End) < 0);
    }

    /// <summary>True when the two ranges share at least one key.</summary>
    public bool Overlaps(KeyRange other)
    {
        if (IsSingleKey)
        {
            return other.Contains(Start);
        }

        if (other.IsSingleKey)
        {
            return Contains(other.Start);
        }

        bool thisStartsBeforeOtherEnds = other.End is null || ((ReadOnlySpan<byte>)Start).SequenceCompareTo(other.End) < 0;
        bool otherStartsBeforeThisEnds = End is null || ((ReadOnlySpan<byte>)other.Start).SequenceCompareTo(End) < 0;
        return thisStartsBeforeOtherEnds && otherStartsBeforeThisEnds;
    }

    /// <summary>The smallest key greater than every key with this prefix ("\0" when none: all keys).</summary>
    public static byte[] PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        byte[] end = prefix.ToArray();
        for (int i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return [0];
    }
}
