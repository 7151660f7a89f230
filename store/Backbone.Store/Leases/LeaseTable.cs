using Backbone.Store.Index;

namespace Backbone.Store.Leases;

/// <summary>
/// The deterministic part of leases: which exist, their granted TTL and the keys attached.
/// Expiry times are not here (they are wall-clock, per node): see <see cref="LeaseExpiry"/>.
/// Guarded by the MVCC state lock.
/// </summary>
internal sealed class LeaseTable
{
    private readonly Dictionary<long, Lease> leases = [];

    public int Count => leases.Count;

    public IEnumerable<Lease> All => leases.Values;

    public bool TryGet(long id, out Lease lease) => leases.TryGetValue(id, out lease!);

    public bool Contains(long id) => leases.ContainsKey(id);

    public Lease Add(long id, long ttlSeconds)
    {
        Lease lease = new(id, ttlSeconds);
        leases.Add(id, lease);
        return lease;
    }

    public void Remove(long id) => leases.Remove(id);

    public void Attach(long id, byte[] key)
    {
        if (id != 0 && leases.TryGetValue(id, out Lease? lease))
        {
            lease.Keys.Add(key);
        }
    }

    public void Detach(long id, byte[] key)
    {
        if (id != 0 && leases.TryGetValue(id, out Lease? lease))
        {
            lease.Keys.Remove(key);
        }
    }

    internal sealed class Lease(long id, long ttlSeconds)
    {
        public long Id { get; } = id;

        public long TtlSeconds { get; } = ttlSeconds;

        /// <summary>Attached keys, ordered so that a revoke deletes them in a deterministic order.</summary>
        public SortedSet<byte[]> Keys { get; } = new(ByteArrayComparer.Instance);
    }
}
