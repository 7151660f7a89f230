using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Nodes;
using Backbone.Control.Services;

namespace Backbone.Dns.Names;

/// <summary>
/// The store records a name table is made of, kept in memory by their store keys and in the
/// store's key order (ordinal: the keys are ASCII, so this is etcd's byte order), so that
/// <see cref="ToSource"/> lists them exactly as one read of the prefixes would. Two lookups the
/// incremental update needs are kept beside them: a service's keys by its id, and each service's
/// task endpoints per network. Not thread-safe: one writer (<see cref="NameTableUpdater"/>).
/// </summary>
internal sealed class NameModel
{
    private readonly SortedDictionary<string, NetworkRecord> networks = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, ServiceRecord> services = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, EndpointRecord> endpoints = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, ReachRecord> reach = new(StringComparer.Ordinal);

    /// <summary>Service id → the store keys of the services with that id (one, unless the store is corrupt).</summary>
    private readonly Dictionary<string, SortedSet<string>> serviceKeysById = new(StringComparer.Ordinal);

    /// <summary>(network id, service id) → the store keys of that service's endpoints on that network, in key order.</summary>
    private readonly Dictionary<(string NetworkId, string ServiceId), SortedSet<string>> taskKeys = [];

    public IReadOnlySet<string> DownNodes { get; private set; } = new HashSet<string>(StringComparer.Ordinal);

    public IEnumerable<NetworkRecord> Networks => networks.Values;

    public IEnumerable<KeyValuePair<string, ServiceRecord>> Services => services;

    public IEnumerable<KeyValuePair<string, EndpointRecord>> Endpoints => endpoints;

    /// <summary>The records in store order, as <see cref="NameTable.Build"/> takes them.</summary>
    public NameSource ToSource() => new([.. networks.Values], [.. services.Values], [.. endpoints.Values], DownNodes);

    public ServiceRecord Service(string key) => services[key];

    public EndpointRecord Endpoint(string key) => endpoints[key];

    public ServiceRecord? FindService(string key) => services.GetValueOrDefault(key);

    public EndpointRecord? FindEndpoint(string key) => endpoints.GetValueOrDefault(key);

    /// <summary>The store keys of the services whose id is <paramref name="serviceId"/>, in key order.</summary>
    public IReadOnlyCollection<string> ServiceKeys(string serviceId) =>
        serviceKeysById.TryGetValue(serviceId, out SortedSet<string>? keys) ? keys : [];

    /// <summary>The store keys of <paramref name="serviceId"/>'s endpoints on <paramref name="networkId"/>, in key order.</summary>
    public IReadOnlyCollection<string> TaskKeys(string networkId, string serviceId) =>
        taskKeys.TryGetValue((networkId, serviceId), out SortedSet<string>? keys) ? keys : [];

    public void PutNetwork(string key, NetworkRecord network) => networks[key] = network;

    public bool DeleteNetwork(string key) => networks.Remove(key);

    public void PutService(string key, ServiceRecord service)
    {
        DeleteService(key);
        services[key] = service;
        SetFor(serviceKeysById, service.Id).Add(key);
    }

    public bool DeleteService(string key)
    {
        if (!services.Remove(key, out ServiceRecord? old))
        {
            return false;
        }

        RemoveFrom(serviceKeysById, old.Id, key);
        return true;
    }

    public void PutEndpoint(string key, EndpointRecord endpoint)
    {
        DeleteEndpoint(key);
        endpoints[key] = endpoint;
        if (endpoint.ServiceId.Length > 0)
        {
            SetFor(taskKeys, (endpoint.NetworkId, endpoint.ServiceId)).Add(key);
        }
    }

    public bool DeleteEndpoint(string key)
    {
        if (!endpoints.Remove(key, out EndpointRecord? old))
        {
            return false;
        }

        if (old.ServiceId.Length > 0)
        {
            RemoveFrom(taskKeys, (old.NetworkId, old.ServiceId), key);
        }

        return true;
    }

    /// <summary>Stores a node's reachability report; true when the set of down nodes changed with it.</summary>
    public bool PutReach(string key, ReachRecord report)
    {
        reach[key] = report;
        return RecountDownNodes();
    }

    /// <summary>Forgets a node's report (its lease ran out); true when the set of down nodes changed with it.</summary>
    public bool DeleteReach(string key) => reach.Remove(key) && RecountDownNodes();

    public bool IsHealthy(EndpointRecord endpoint) => endpoint.Running && !DownNodes.Contains(endpoint.NodeId);

    private bool RecountDownNodes()
    {
        IReadOnlySet<string> down = Backbone.Control.Nodes.DownNodes.From(reach.Values);
        if (down.SetEquals(DownNodes))
        {
            return false;
        }

        DownNodes = down;
        return true;
    }

    private static SortedSet<string> SetFor<TKey>(Dictionary<TKey, SortedSet<string>> sets, TKey id)
        where TKey : notnull
    {
        if (!sets.TryGetValue(id, out SortedSet<string>? set))
        {
            set = new SortedSet<string>(StringComparer.Ordinal);
            sets.Add(id, set);
        }

        return set;
    }

    private static void RemoveFrom<TKey>(Dictionary<TKey, SortedSet<string>> sets, TKey id, string key)
        where TKey : notnull
    {
        if (sets.TryGetValue(id, out SortedSet<string>? set) && set.Remove(key) && set.Count == 0)
        {
            sets.Remove(id);
        }
    }
}
