using System.Numerics;

namespace Backbone.Bench;

/// <summary>
/// An HDR-like latency histogram in microseconds: 32 linear sub-buckets per power of two, so
/// every bucket is at most 1/32 (~3%) wide relative to its value; exact below 64 µs. One
/// preallocated array; <see cref="Record"/> allocates nothing.
/// Not thread-safe: each client owns one and they are merged after the run.
/// Worked example: 1,000 µs has its top bit at 2^9, so shift = 9 - 5 = 4, 1000 >> 4 = 62 → bucket
/// (4 + 1) * 32 + (62 - 32) = 190, which covers [992, 1008) µs.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;

    // 2^40 µs is 12 days: anything longer is clamped into the last bucket.
    private const int MaxTopBit = 40;
    private const int BucketCount = (MaxTopBit - SubBucketBits + 2) * SubBuckets;

    private readonly long[] counts = new long[BucketCount];

    public long Count { get; private set; }

    public long MaxMicroseconds { get; private set; }

    public void Record(long microseconds)
    {
        long v = Math.Max(microseconds, 0);
        counts[Index(v)]++;
        Count++;
        if (v > MaxMicroseconds)
        {
            MaxMicroseconds = v;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] += other.counts[i];
        }

        Count += other.Count;
        MaxMicroseconds = Math.Max(MaxMicroseconds, other.MaxMicroseconds);
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1) in milliseconds: the middle of its bucket; NaN when empty.</summary>
    public double QuantileMs(double q)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                (long low, long width) = Bounds(i);
                return Math.Min(low + ((width - 1) / 2.0), MaxMicroseconds) / 1_000.0;
            }
        }

        return MaxMicroseconds / 1_000.0;
    }

    private static int Index(long v)
    {
        if (v < SubBuckets * 2)
        {
            return (int)v;
        }

        int topBit = 63 - BitOperations.LeadingZeroCount((ulong)v);
        if (topBit > MaxTopBit)
        {
            return BucketCount - 1;
        }

        int shift = topBit - SubBucketBits;
        return ((shift + 1) * SubBuckets) + (int)((v >> shift) - SubBuckets);
    }

    private static (long Low, long Width) Bounds(int index)
    {
        if (index < SubBuckets * 2)
        {
            return (index, 1);
        }

        int shift = (index / SubBuckets) - 1;
        long sub = (index % SubBuckets) + SubBuckets;
        return (sub << shift, 1L << shift);
    }
}
