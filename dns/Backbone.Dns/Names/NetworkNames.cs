using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Services;

namespace Backbone.Dns.Names;

/// <summary>
/// The claims on one network's names, keyed by table key. A key's binding depends only on the
/// owners that claim it and the order they are added in (services in store order, then
/// endpoints in store order), never on owners of other keys: that is what lets
/// <see cref="NameTableUpdater"/> recompute a changed key from its claimants alone and get what a
/// full build gets. Which keys an owner claims depends only on its own record and the network's
/// name, not on tasks or health.
/// </summary>
internal sealed class NetworkNames(NetworkRecord network, uint ttl)
{
    private readonly Dictionary<string, (NameClaim? Service, NameClaim? Endpoint)> claims = new(StringComparer.Ordinal);

    public void AddService(ServiceRecord service, ServiceNetwork attachment, List<Located> tasks)
    {
        // vip mode with no VIP on this network (never allocated) answers like dnsrr rather than not at all.
        bool dnsrr = string.Equals(service.EndpointMode, "dnsrr", StringComparison.OrdinalIgnoreCase);
        string vip = "";
        string vipReverse = "";
        bool hasVip = !dnsrr && DnsNames.TryIpv4(attachment.Vip, out vip, out vipReverse);
        foreach (string name in NamesOf(service.Name, attachment.Aliases))
        {
            foreach (string key in Forms(name))
            {
                NameClaim claim = Claim(key, service: true);
                if (hasVip)
                {
                    claim.Add(new DnsRecord(key, RecordType.A, ttl, vip));
                }
                else
                {
                    AddAddresses(claim, key, tasks);
                }
            }

            foreach (string key in Forms("tasks." + name))
            {
                AddAddresses(Claim(key, service: true), key, tasks);
            }

            foreach (PublishedPort port in service.Ports)
            {
                if (port.Target is < 1 or > ushort.MaxValue || port.Name.Length == 0)
                {
                    continue;
                }

                foreach (string key in Forms($"_{port.Name}._{port.Protocol}.{name}"))
                {
                    NameClaim claim = Claim(key, service: true);
                    foreach (Located task in tasks)
                    {
                        string target = DnsNames.Qualified(task.Endpoint.Name, network.Name);
                        claim.AddSrv(
                            new DnsRecord(key, RecordType.Srv, ttl, target, Priority: 0, Weight: 10, Port: (ushort)port.Target),
                            new DnsRecord(target, RecordType.A, ttl, task.Address));
                    }
                }
            }
        }

        if (hasVip)
        {
            Claim(vipReverse, service: true).Add(new DnsRecord(vipReverse, RecordType.Ptr, ttl, DnsNames.Qualified(service.Name, network.Name)));
        }
    }

    /// <param name="healthy">The endpoint's address when it may be answered with; null when it is down or has no usable address.</param>
    /// <param name="reverse">Its reverse name when its address parses, answered only when healthy.</param>
    public void AddEndpoint(EndpointRecord endpoint, Located? healthy, string? reverse)
    {
        foreach (string name in NamesOf(endpoint.Name, endpoint.Aliases, DnsNames.ShortId(endpoint.Id)))
        {
            foreach (string key in Forms(name))
            {
                NameClaim claim = Claim(key, service: false);
                if (healthy is not null)
                {
                    claim.Add(new DnsRecord(key, RecordType.A, ttl, healthy.Address));
                }
            }
        }

        if (reverse is not null)
        {
            NameClaim claim = Claim(reverse, service: false);
            if (healthy is not null && endpoint.Name.Length > 0)
            {
                claim.Add(new DnsRecord(reverse, RecordType.Ptr, ttl, DnsNames.Qualified(endpoint.Name, network.Name)));
            }
        }
    }

    /// <summary>Every key something claimed so far, in no particular order.</summary>
    public IEnumerable<string> Keys => claims.Keys;

    /// <summary>One binding per key: the service claim when there is one, else the endpoints'.</summary>
    public IEnumerable<(string Key, NameBinding Binding)> ToBindings()
    {
        foreach (string key in claims.Keys)
        {
            yield return (key, BindingFor(key)!);
        }
    }

    /// <summary>The binding of one key (the service claim when there is one, else the endpoints'), or null when nothing claimed it.</summary>
    public NameBinding? BindingFor(string key)
    {
        if (!claims.TryGetValue(key, out (NameClaim? Service, NameClaim? Endpoint) pair))
        {
            return null;
        }

        return pair.Service is not null
            ? pair.Service.ToBinding(network.Id, isService: true)
            : pair.Endpoint!.ToBinding(network.Id, isService: false);
    }

    private void AddAddresses(NameClaim claim, string key, List<Located> tasks)
    {
        foreach (Located task in tasks)
        {
            claim.Add(new DnsRecord(key, RecordType.A, ttl, task.Address));
        }
    }

    private NameClaim Claim(string key, bool service)
    {
        claims.TryGetValue(key, out (NameClaim? Service, NameClaim? Endpoint) pair);
        NameClaim claim;
        if (service)
        {
            claim = pair.Service ??= new NameClaim();
        }
        else
        {
            claim = pair.Endpoint ??= new NameClaim();
        }

        claims[key] = pair;
        return claim;
    }

    /// <summary>The bare and the network-qualified key of a name.</summary>
    private string[] Forms(string name) => [DnsNames.Key(name), DnsNames.Qualified(name, network.Name)];

    private static IEnumerable<string> NamesOf(string name, IReadOnlyList<string> aliases, string? shortId = null)
    {
        if (!string.IsNullOrWhiteSpace(name))
        {
            yield return name;
        }

        foreach (string alias in aliases)
        {
            if (!string.IsNullOrWhiteSpace(alias))
            {
                yield return alias;
            }
        }

        if (!string.IsNullOrWhiteSpace(shortId))
        {
            yield return shortId;
        }
    }
}
