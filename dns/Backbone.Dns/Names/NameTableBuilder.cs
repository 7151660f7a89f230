using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Services;

namespace Backbone.Dns.Names;

/// <summary>
/// Turns a <see cref="NameSource"/> into the keys of a <see cref="NameTable"/>, one network at a
/// time. Per network every name gets up to two claims, a service's and an endpoints'; the
/// service's wins (Docker checks services first). Worked example, network <c>front</c> with
/// service <c>web</c> (vip 10.0.9.2, alias <c>www</c>, port <c>http</c>=80/tcp) and its running
/// task <c>web.1.abc…</c> at 10.0.9.5:
/// <code>
/// key                                              claim     record
/// web.  web.front.  www.  www.front.               service   A 10.0.9.2
/// tasks.web.  tasks.www.  (and .front. forms)      service   A 10.0.9.5
/// _http._tcp.web.  _http._tcp.www.  (and .front.)  service   SRV 0 10 80 web.1.abc….front.  (A 10.0.9.5 additional)
/// 2.9.0.10.in-addr.arpa.                           service   PTR web.front.
/// web.1.abc….  abc…(12 chars).  (and .front.)      endpoint  A 10.0.9.5
/// www.  www.front.  (the task's copy of the alias) endpoint  A 10.0.9.5, dropped: the service claims www.
/// 5.9.0.10.in-addr.arpa.                           endpoint  PTR web.1.abc….front.
/// </code>
/// </summary>
internal sealed class NameTableBuilder(NameSource source, NameTableOptions options)
{
    private readonly Dictionary<string, List<NameBinding>> bindings = new(StringComparer.Ordinal);

    public NameTable Build()
    {
        Dictionary<string, List<EndpointRecord>> endpointsByNetwork = new(StringComparer.Ordinal);
        foreach (EndpointRecord endpoint in source.Endpoints)
        {
            ListFor(endpointsByNetwork, endpoint.NetworkId).Add(endpoint);
        }

        Dictionary<string, List<(ServiceRecord Service, ServiceNetwork Attachment)>> servicesByNetwork = new(StringComparer.Ordinal);
        foreach (ServiceRecord service in source.Services)
        {
            foreach (ServiceNetwork attachment in service.Networks)
            {
                ListFor(servicesByNetwork, attachment.NetworkId).Add((service, attachment));
            }
        }

        HashSet<string> externalNetworks = new(StringComparer.Ordinal);
        HashSet<string> built = new(StringComparer.Ordinal);
        foreach (NetworkRecord network in source.Networks)
        {
            // A network listed twice would get every name twice; the first record stands.
            if (!built.Add(network.Id))
            {
                continue;
            }

            if (!network.Internal)
            {
                externalNetworks.Add(network.Id);
            }

            AddNetwork(network, endpointsByNetwork.GetValueOrDefault(network.Id) ?? [], servicesByNetwork.GetValueOrDefault(network.Id) ?? []);
        }

        Dictionary<string, NameNode> names = new(bindings.Count, StringComparer.Ordinal);
        foreach ((string key, List<NameBinding> list) in bindings)
        {
            names.Add(key, new NameNode([.. list]));
        }

        return new NameTable(names, externalNetworks);
    }

    private void AddNetwork(NetworkRecord network, List<EndpointRecord> endpoints, List<(ServiceRecord Service, ServiceNetwork Attachment)> services)
    {
        NetworkNames names = new(network, options.Ttl);

        // Only healthy endpoints with a usable address can be answered with; tasks are found by service id.
        Dictionary<string, List<Located>> runningTasks = new(StringComparer.Ordinal);
        List<(EndpointRecord Endpoint, Located? Located)> all = new(endpoints.Count);
        foreach (EndpointRecord endpoint in endpoints)
        {
            Located? located = null;
            if (DnsNames.TryIpv4(endpoint.Address, out string address, out string reverse))
            {
                located = new Located(endpoint, address, reverse);
                if (IsHealthy(endpoint) && endpoint.ServiceId.Length > 0)
                {
                    ListFor(runningTasks, endpoint.ServiceId).Add(located);
                }
            }

            all.Add((endpoint, located));
        }

        foreach ((ServiceRecord service, ServiceNetwork attachment) in services)
        {
            names.AddService(service, attachment, runningTasks.GetValueOrDefault(service.Id) ?? []);
        }

        foreach ((EndpointRecord endpoint, Located? located) in all)
        {
            names.AddEndpoint(endpoint, IsHealthy(endpoint) ? located : null, located?.Reverse);
        }

        foreach ((string key, NameBinding binding) in names.ToBindings())
        {
            ListFor(bindings, key).Add(binding);
        }
    }

    private bool IsHealthy(EndpointRecord endpoint) => endpoint.Running && !source.DownNodes.Contains(endpoint.NodeId);

    private static List<T> ListFor<T>(Dictionary<string, List<T>> lists, string key)
    {
        if (!lists.TryGetValue(key, out List<T>? list))
        {
            list = [];
            lists.Add(key, list);
        }

        return list;
    }

    /// <summary>An endpoint with its address parsed: canonical dotted text and reverse name.</summary>
    private sealed record Located(EndpointRecord Endpoint, string Address, string Reverse);

    /// <summary>The claims on one network's names, keyed by table key.</summary>
    private sealed class NetworkNames(NetworkRecord network, uint ttl)
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

        /// <summary>One binding per key: the service claim when there is one, else the endpoints'.</summary>
        public IEnumerable<(string Key, NameBinding Binding)> ToBindings()
        {
            foreach ((string key, (NameClaim? service, NameClaim? endpoint)) in claims)
            {
                yield return service is not null
                    ? (key, service.ToBinding(network.Id, isService: true))
                    : (key, endpoint!.ToBinding(network.Id, isService: false));
            }
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
}
