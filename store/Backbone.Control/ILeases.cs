namespace Backbone.Control;

/// <summary>The lease calls node liveness needs: grant, and renew (0 when the lease is gone). Server and client implementations as for <see cref="IKeyValue"/>.</summary>
public interface ILeases
{
    /// <summary>A new lease of <paramref name="ttlSeconds"/>; its id.</summary>
    Task<long> GrantAsync(long ttlSeconds, CancellationToken cancellationToken);

    /// <summary>Renews the lease; its TTL, or 0 when it expired or was revoked.</summary>
    Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken);
}
