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
            Located? located = Located.Of(endpoint);
            if (located is not null && IsHealthy(endpoint) && endpoint.ServiceId.Length > 0)
            {
                ListFor(runningTasks, endpoint.ServiceId).Add(located);
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
}
