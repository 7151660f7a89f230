namespace Backbone.Store.Leases;

/// <summary>
/// When each lease expires, on this node's clock (an injected <see cref="TimeProvider"/>, so tests
/// advance a fake clock instead of sleeping). Not replicated: after a restart every lease gets its
/// full TTL again, as etcd does on leader change. Thread-safe.
/// </summary>
internal sealed class LeaseExpiry(TimeProvider time)
{
    /// <summary>How long an expired lease waits before its revoke is proposed again, should the first fail.</summary>
    private static readonly TimeSpan RetryRevoke = TimeSpan.FromSeconds(1);

    private readonly Lock gate = new();
    /// <summary>Revoking: expired and handed to <see cref="TakeExpired"/>'s caller; a keep-alive can no longer save it.</summary>
    private readonly Dictionary<long, (long TtlSeconds, DateTimeOffset ExpiresAt, bool Revoking)> leases = [];

    public void Track(long id, long ttlSeconds)
    {
        lock (gate)
        {
            leases[id] = (ttlSeconds, time.GetUtcNow().AddSeconds(ttlSeconds), false);
        }
    }

    /// <summary>Tracks exactly these leases, each with its full TTL (after a snapshot replaced the state).</summary>
    public void ReplaceAll(IEnumerable<(long Id, long TtlSeconds)> live)
    {
        lock (gate)
        {
            leases.Clear();
            DateTimeOffset now = time.GetUtcNow();
            foreach ((long id, long ttl) in live)
            {
                leases[id] = (ttl, now.AddSeconds(ttl), false);
            }
        }
    }

    public void Forget(long id)
    {
        lock (gate)
        {
            leases.Remove(id);
        }
    }

    /// <summary>Extends a live lease by its TTL; returns the TTL, or 0 for an unknown or expired lease (etcd's answer).</summary>
    public long Renew(long id)
    {
        lock (gate)
        {
            DateTimeOffset now = time.GetUtcNow();
            if (!leases.TryGetValue(id, out var lease) || lease.Revoking || lease.ExpiresAt <= now)
            {
                return 0;
            }

            leases[id] = (lease.TtlSeconds, now.AddSeconds(lease.TtlSeconds), false);
            return lease.TtlSeconds;
        }
    }

    /// <summary>Seconds left, truncated as etcd does (<c>int64(Remaining().Seconds())</c>: 59 just after a 60 s grant); false for an unknown lease.</summary>
    public bool TryGetRemaining(long id, out long remainingSeconds)
    {
        lock (gate)
        {
            if (!leases.TryGetValue(id, out var lease))
            {
                remainingSeconds = 0;
                return false;
            }

            double left = (lease.ExpiresAt - time.GetUtcNow()).TotalSeconds;
            remainingSeconds = Math.Max(0, (long)left);
            return true;
        }
    }

    /// <summary>Leases past their expiry; each is pushed back by <see cref="RetryRevoke"/> so it is reported once per retry.</summary>
    public List<long> TakeExpired()
    {
        List<long> expired = [];
        lock (gate)
        {
            DateTimeOffset now = time.GetUtcNow();
            foreach ((long id, var lease) in leases)
            {
                if (lease.ExpiresAt <= now)
                {
                    expired.Add(id);
                }
            }

            foreach (long id in expired)
            {
                leases[id] = (leases[id].TtlSeconds, now + RetryRevoke, true);
            }
        }

        return expired;
    }
}
