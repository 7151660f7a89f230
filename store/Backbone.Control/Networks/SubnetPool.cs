namespace Backbone.Control.Networks;

/// <summary>
/// Where subnets come from when `network create` names none: blocks of <see cref="BlockLength"/>
/// inside <see cref="Pool"/> (default 10.0.0.0/8 in /24s, as Docker's default address pool),
/// the lowest one that overlaps no existing network.
/// </summary>
public sealed record SubnetPool(Ipv4Cidr Pool, int BlockLength)
{
    public static SubnetPool Default { get; } = new(Ipv4Cidr.Of(10u << 24, 8), 24);

    /// <summary>The lowest free block, or null when the pool is used up.</summary>
    public Ipv4Cidr? Allocate(IReadOnlyCollection<Ipv4Cidr> used)
    {
        if (BlockLength < Pool.PrefixLength || BlockLength > 30)
        {
            throw new InvalidOperationException($"a pool {Pool} cannot be cut into /{BlockLength} blocks");
        }

        List<Ipv4Cidr> inPool = [.. used.Where(u => u.Overlaps(Pool)).OrderBy(u => u.Network)];
        ulong blockSize = 1UL << (32 - BlockLength);
        ulong candidate = Pool.Network;
        ulong end = (ulong)Pool.Last + 1;
        int next = 0; // the first used subnet that may still overlap a candidate (sorted by start)
        while (candidate < end)
        {
            ulong candidateLast = candidate + blockSize - 1;
            while (next < inPool.Count && inPool[next].Last < candidate)
            {
                next++; // wholly below the candidate: never overlaps a later one either
            }

            if (next == inPool.Count || inPool[next].Network > candidateLast)
            {
                return Ipv4Cidr.Of((uint)candidate, BlockLength);
            }

            // Overlaps: the next candidate is the first block after that subnet's end.
            ulong after = (ulong)inPool[next].Last + 1;
            candidate = (after + blockSize - 1) / blockSize * blockSize;
        }

        return null;
    }
}
