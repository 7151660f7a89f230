using Backbone.Control.Containers;
using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Scheduling;
using Backbone.Control.Services;
using Backbone.Overlay.Reconcile;

namespace Backbone.Overlay.Agent;

/// <summary>
/// What the store says this host should have: a sandbox per network its tasks and standalone
/// containers use, a container for each with an interface per network (the addresses allocated
/// with its record), and the processes to run. Pure, so the mapping from records to kernel objects is tested without a
/// kernel.
/// </summary>
public sealed record DesiredHost(HostState State, IReadOnlyList<Workload> Workloads)
{
    /// <param name="endpoints">Every endpoint in the store: those on other hosts become the tunnels' peers.</param>
    /// <param name="dataPlane">This host's underlay address and the VXLAN port; null: no tunnels (containers reach only their own host).</param>
    /// <param name="downNodes">Hosts known to be unreachable: their endpoints are not programmed (the traffic could only be lost).</param>
    public static DesiredHost Build(string nodeId, string prefix, IEnumerable<TaskRecord> tasks, IEnumerable<ContainerRecord> standalone,
        IReadOnlyDictionary<string, NetworkRecord> networks, IReadOnlyDictionary<string, ServiceRecord> services,
        IEnumerable<EndpointRecord>? endpoints = null, DataPlane? dataPlane = null, IReadOnlySet<string>? downNodes = null)
    {
        var wanted = new List<(string Id, string Name, string ServiceId, string ServiceName, int Slot, IReadOnlyList<TaskAttachment> Networks, IReadOnlyList<string> Command, string Restart)>();
        foreach (TaskRecord task in tasks.Where(t => t.NodeId == nodeId && t.State == "assigned"))
        {
            // A task whose service is gone (removed meanwhile) waits for the next read.
            if (services.TryGetValue(task.ServiceId, out ServiceRecord? service))
            {
                wanted.Add((task.Id, task.Name, task.ServiceId, task.ServiceName, task.Slot, task.Networks, service.Command, service.RestartCondition));
            }
        }

        foreach (ContainerRecord container in standalone.Where(c => c.NodeId == nodeId))
        {
            wanted.Add((container.Id, container.Name, "", "", 0, container.Networks, container.Command, container.RestartCondition));
        }

        var sandboxes = new SortedDictionary<string, SandboxSpec>(StringComparer.Ordinal);
        var containers = new List<ContainerSpec>();
        var workloads = new List<Workload>();
        foreach (var one in wanted.OrderBy(w => w.Id, StringComparer.Ordinal))
        {
            if (one.Networks.Any(a => !networks.ContainsKey(a.NetworkId)))
            {
                continue; // its network was removed meanwhile: its record goes next
            }

            var interfaces = new List<InterfaceSpec>();
            foreach (TaskAttachment attachment in one.Networks)
            {
                NetworkRecord network = networks[attachment.NetworkId];
                SandboxSpec sandbox = Sandbox(prefix, network);
                sandboxes[sandbox.Namespace] = sandbox;
                interfaces.Add(new InterfaceSpec($"eth{interfaces.Count}", sandbox.Namespace, HostNames.SandboxVeth(one.Id),
                    $"{attachment.Address}/{PrefixLength(network)}", HostNames.MacFor(attachment.Address), network.Mtu));
            }

            string? gateway = one.Networks.Count == 0 ? null : networks[one.Networks[0].NetworkId].Gateway;
            var container = new ContainerSpec(HostNames.Container(prefix, one.Id), interfaces, gateway);
            containers.Add(container);
            workloads.Add(new Workload(one.Id, one.Name, one.ServiceId, one.ServiceName, one.Slot, one.Networks, new ContainerNaming(container.Namespace), one.Command, one.Restart));
        }

        var state = new HostState([.. sandboxes.Values], containers);
        if (dataPlane is not null)
        {
            state = WithTunnels(state, nodeId, prefix, networks, endpoints ?? [], dataPlane, downNodes);
        }

        return new DesiredHost(state, workloads);
    }

    /// <summary>
    /// A tunnel in every sandbox whose network may leave this host, and in it every container of
    /// that network on another host that is not known to be down. An encrypted network gets no
    /// tunnel: the kernel cannot encrypt here, and its traffic must never cross in cleartext.
    /// </summary>
    private static HostState WithTunnels(HostState state, string nodeId, string prefix, IReadOnlyDictionary<string, NetworkRecord> networks,
        IEnumerable<EndpointRecord> endpoints, DataPlane dataPlane, IReadOnlySet<string>? downNodes)
    {
        var sandboxByNetwork = new Dictionary<string, SandboxSpec>(StringComparer.Ordinal);
        var tunnels = new List<TunnelSpec>();
        foreach (NetworkRecord network in networks.Values.Where(n => !n.Encrypted))
        {
            SandboxSpec sandbox = Sandbox(prefix, network);
            if (state.Sandboxes.Contains(sandbox))
            {
                sandboxByNetwork[network.Id] = sandbox;
                tunnels.Add(new TunnelSpec(sandbox.Namespace, network.Vni, dataPlane.LocalAddress, dataPlane.Port, network.Mtu));
            }
        }

        var peers = new List<PeerSpec>();
        foreach (EndpointRecord endpoint in endpoints)
        {
            if (endpoint.NodeId != nodeId && endpoint.NodeAddress.Length > 0 && endpoint.NodeAddress != dataPlane.LocalAddress
                && downNodes?.Contains(endpoint.NodeId) != true && sandboxByNetwork.TryGetValue(endpoint.NetworkId, out SandboxSpec? sandbox))
            {
                peers.Add(new PeerSpec(sandbox.Namespace, endpoint.Address, endpoint.Mac, endpoint.NodeAddress));
            }
        }

        return state with { Tunnels = [.. tunnels.OrderBy(t => t.Sandbox, StringComparer.Ordinal)], Peers = [.. peers.Distinct()] };
    }

    public static SandboxSpec Sandbox(string prefix, NetworkRecord network) =>
        new(HostNames.Sandbox(prefix, network.Vni), network.Vni, $"{network.Gateway}/{PrefixLength(network)}", network.Mtu);

    private static int PrefixLength(NetworkRecord network) =>
        Ipv4Cidr.TryParse(network.Subnet, out Ipv4Cidr? subnet, out string? error) ? subnet.Value.PrefixLength : throw new InvalidDataException($"network {network.Name}: stored subnet: {error}");
}
