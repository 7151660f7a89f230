namespace Backbone.Dns.Names;

/// <summary>
/// Who claims each key on each network: the store keys of the services and of the endpoints
/// whose records produce that key there. When an owner changes, the keys it claimed and now
/// claims are recomputed from exactly these claimants (<see cref="NameTableUpdater"/>).
/// Not thread-safe: one writer.
/// </summary>
internal sealed class ClaimIndex
{
    private readonly Dictionary<(string NetworkId, string Key), Claimants> claims = [];

    public void Clear() => claims.Clear();

    public void Add(string networkId, string key, string ownerKey, bool service)
    {
        if (!claims.TryGetValue((networkId, key), out Claimants? claimants))
        {
            claimants = new Claimants();
            claims.Add((networkId, key), claimants);
        }

        (service ? claimants.Services : claimants.Endpoints).Add(ownerKey);
    }

    public void Remove(string networkId, string key, string ownerKey, bool service)
    {
        if (!claims.TryGetValue((networkId, key), out Claimants? claimants))
        {
            return;
        }

        (service ? claimants.Services : claimants.Endpoints).Remove(ownerKey);
        if (claimants.Services.Count == 0 && claimants.Endpoints.Count == 0)
        {
            claims.Remove((networkId, key));
        }
    }

    /// <summary>Adds the claimants of <paramref name="key"/> on <paramref name="networkId"/> to the two sets.</summary>
    public void CollectInto(string networkId, string key, ISet<string> services, ISet<string> endpoints)
    {
        if (claims.TryGetValue((networkId, key), out Claimants? claimants))
        {
            services.UnionWith(claimants.Services);
            endpoints.UnionWith(claimants.Endpoints);
        }
    }

    private sealed class Claimants
    {
        public HashSet<string> Services { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Endpoints { get; } = new(StringComparer.Ordinal);
    }
}
