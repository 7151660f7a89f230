using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Nodes;
using Backbone.Control.Services;

namespace Backbone.Dns.Names;

/// <summary>
/// Keeps a name table in step with the store one change at a time, so a task endpoint added or
/// removed costs the few keys it touches, not a build of every name (about 10 ms at 1,000
/// services). The result always equals <see cref="NameTable.Build"/> over the same records
/// (a randomized test holds it to that):
/// <list type="number">
/// <item>Each Put/Delete updates the in-memory records (<see cref="NameModel"/>) and marks dirty
/// every (network, key) the old or the new record claims; an endpoint also dirties its service's
/// keys there (their task lists change with it).</item>
/// <item><see cref="Commit"/> recomputes each dirty key from its claimants only
/// (<see cref="ClaimIndex"/>), through the same <see cref="NetworkNames"/> the full build uses,
/// and publishes a new table: a copy of the old key map with those keys replaced. Unchanged keys
/// keep their nodes (and their rotation counters).</item>
/// <item>A network change or a change in the set of down nodes touches too much to track: the
/// next commit builds everything from the in-memory records (no store read).</item>
/// </list>
/// Owners are identified by their store keys (a delete carries only the key). Not thread-safe:
/// one writer calls the mutators and <see cref="Commit"/>; readers use the tables it returns,
/// which are immutable.
/// </summary>
internal sealed class NameTableUpdater(NameTableOptions options)
{
    private readonly ClaimIndex claims = new();

    /// <summary>Network id → (dirty table keys on it).</summary>
    private readonly Dictionary<string, HashSet<string>> dirty = new(StringComparer.Ordinal);
    private NameModel model = new();

    /// <summary>Network id → the record the table uses (the first with that id in key order) and its place in that order.</summary>
    private Dictionary<string, (NetworkRecord Network, int Rank)> networks = new(StringComparer.Ordinal);
    private bool rebuild = true;
    private NameTable table = NameTable.Empty;

    /// <summary>The table as of the last <see cref="Commit"/>.</summary>
    public NameTable Current => table;

    /// <summary>Forgets every record (before loading a fresh read of the store); the next commit builds from what is put after.</summary>
    public void Clear()
    {
        model = new NameModel();
        rebuild = true;
    }

    public void PutNetwork(string key, NetworkRecord network)
    {
        model.PutNetwork(key, network);
        rebuild = true;
    }

    public void DeleteNetwork(string key) => rebuild |= model.DeleteNetwork(key);

    public void PutReach(string key, ReachRecord report) => rebuild |= model.PutReach(key, report);

    public void DeleteReach(string key) => rebuild |= model.DeleteReach(key);

    public void PutService(string key, ServiceRecord service)
    {
        ClaimService(key, model.FindService(key), claim: false);
        model.PutService(key, service);
        ClaimService(key, service, claim: true);
    }

    public void DeleteService(string key)
    {
        ClaimService(key, model.FindService(key), claim: false);
        model.DeleteService(key);
    }

    public void PutEndpoint(string key, EndpointRecord endpoint)
    {
        ClaimEndpoint(key, model.FindEndpoint(key), claim: false);
        model.PutEndpoint(key, endpoint);
        ClaimEndpoint(key, endpoint, claim: true);
    }

    public void DeleteEndpoint(string key)
    {
        ClaimEndpoint(key, model.FindEndpoint(key), claim: false);
        model.DeleteEndpoint(key);
    }

    /// <summary>Applies what was put and deleted since the last commit and returns the new table (the same one when nothing changed).</summary>
    public NameTable Commit()
    {
        if (rebuild)
        {
            rebuild = false;
            Rebuild();
        }
        else if (dirty.Count > 0)
        {
            table = table.With(RecomputeDirty(), RankOf);
        }

        dirty.Clear();
        return table;
    }

    /// <summary>The new binding (null: none any more) of every dirty key on every network it is dirty on.</summary>
    private List<(string Key, string NetworkId, NameBinding? Binding)> RecomputeDirty()
    {
        List<(string Key, string NetworkId, NameBinding? Binding)> changes = [];
        foreach ((string networkId, HashSet<string> keys) in dirty)
        {
            // Claimants in store order: a key's records come out in the order a full build adds them.
            SortedSet<string> services = new(StringComparer.Ordinal);
            SortedSet<string> endpoints = new(StringComparer.Ordinal);
            foreach (string key in keys)
            {
                claims.CollectInto(networkId, key, services, endpoints);
            }

            NetworkNames names = new(networks[networkId].Network, options.Ttl);
            foreach (string serviceKey in services)
            {
                ServiceRecord service = model.Service(serviceKey);
                foreach (ServiceNetwork attachment in service.Networks)
                {
                    if (attachment.NetworkId == networkId)
                    {
                        names.AddService(service, attachment, RunningTasks(networkId, service.Id));
                    }
                }
            }

            foreach (string endpointKey in endpoints)
            {
                EndpointRecord endpoint = model.Endpoint(endpointKey);
                Located? located = Located.Of(endpoint);
                names.AddEndpoint(endpoint, model.IsHealthy(endpoint) ? located : null, located?.Reverse);
            }

            foreach (string key in keys)
            {
                changes.Add((key, networkId, names.BindingFor(key)));
            }
        }

        return changes;
    }

    /// <summary>As the full build finds them: the service's endpoints on the network, healthy and with a usable address, in store order.</summary>
    private List<Located> RunningTasks(string networkId, string serviceId)
    {
        List<Located> tasks = [];
        foreach (string endpointKey in model.TaskKeys(networkId, serviceId))
        {
            EndpointRecord endpoint = model.Endpoint(endpointKey);
            if (model.IsHealthy(endpoint) && Located.Of(endpoint) is { } located)
            {
                tasks.Add(located);
            }
        }

        return tasks;
    }

    private int RankOf(string networkId) => networks[networkId].Rank;

    /// <summary>Builds the whole table from the records in memory, then indexes who claims what (the next commits are incremental again).</summary>
    private void Rebuild()
    {
        table = NameTable.Build(model.ToSource(), options);
        networks = new Dictionary<string, (NetworkRecord, int)>(StringComparer.Ordinal);
        foreach (NetworkRecord network in model.Networks)
        {
            networks.TryAdd(network.Id, (network, networks.Count));
        }

        claims.Clear();
        foreach ((string key, ServiceRecord service) in model.Services)
        {
            ClaimService(key, service, claim: true);
        }

        foreach ((string key, EndpointRecord endpoint) in model.Endpoints)
        {
            ClaimEndpoint(key, endpoint, claim: true);
        }
    }

    /// <summary>Adds (or removes) the service's claims on every network it is attached to that the table has, and marks those keys dirty.</summary>
    private void ClaimService(string key, ServiceRecord? service, bool claim)
    {
        if (service is null || rebuild)
        {
            return; // nothing to take back, or a rebuild will index everything anyway
        }

        foreach (ServiceNetwork attachment in service.Networks)
        {
            if (networks.TryGetValue(attachment.NetworkId, out (NetworkRecord Network, int Rank) known))
            {
                foreach (string name in KeysOf(service, attachment, known.Network))
                {
                    Mark(attachment.NetworkId, name, key, service: true, claim);
                }
            }
        }
    }

    /// <summary>
    /// Adds (or removes) the endpoint's claims on its network and marks them dirty, with its
    /// service's keys there: whether it runs, and where, is part of their answers.
    /// </summary>
    private void ClaimEndpoint(string key, EndpointRecord? endpoint, bool claim)
    {
        if (endpoint is null || rebuild || !networks.TryGetValue(endpoint.NetworkId, out (NetworkRecord Network, int Rank) known))
        {
            return;
        }

        var names = new NetworkNames(known.Network, options.Ttl);
        names.AddEndpoint(endpoint, healthy: null, Located.Of(endpoint)?.Reverse);
        foreach (string name in names.Keys)
        {
            Mark(endpoint.NetworkId, name, key, service: false, claim);
        }

        if (endpoint.ServiceId.Length == 0)
        {
            return;
        }

        foreach (string serviceKey in model.ServiceKeys(endpoint.ServiceId))
        {
            ServiceRecord service = model.Service(serviceKey);
            foreach (ServiceNetwork attachment in service.Networks)
            {
                if (attachment.NetworkId == endpoint.NetworkId)
                {
                    foreach (string name in KeysOf(service, attachment, known.Network))
                    {
                        DirtySet(endpoint.NetworkId).Add(name);
                    }
                }
            }
        }
    }

    private void Mark(string networkId, string name, string ownerKey, bool service, bool claim)
    {
        if (claim)
        {
            claims.Add(networkId, name, ownerKey, service);
        }
        else
        {
            claims.Remove(networkId, name, ownerKey, service);
        }

        DirtySet(networkId).Add(name);
    }

    private HashSet<string> DirtySet(string networkId)
    {
        if (!dirty.TryGetValue(networkId, out HashSet<string>? keys))
        {
            keys = new HashSet<string>(StringComparer.Ordinal);
            dirty.Add(networkId, keys);
        }

        return keys;
    }

    /// <summary>The keys a service's attachment claims: they depend on its record and the network's name only, not on its tasks.</summary>
    private IEnumerable<string> KeysOf(ServiceRecord service, ServiceNetwork attachment, NetworkRecord network)
    {
        var names = new NetworkNames(network, options.Ttl);
        names.AddService(service, attachment, []);
        return names.Keys;
    }
}
