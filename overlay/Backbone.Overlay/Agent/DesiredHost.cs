using Backbone.Control.Networks;
using Backbone.Control.Scheduling;
using Backbone.Control.Services;
using Backbone.Overlay.Reconcile;

namespace Backbone.Overlay.Agent;

/// <summary>
/// What the store says this host should have: a sandbox per network its tasks use, a container
/// per task with an interface per network (the addresses the scheduler gave the task), and the
/// processes to run. Pure, so the mapping from records to kernel objects is tested without a
/// kernel.
/// </summary>
public sealed record DesiredHost(HostState State, IReadOnlyList<Workload> Workloads)
{
    public static DesiredHost Build(string nodeId, string prefix, IEnumerable<TaskRecord> tasks,
        IReadOnlyDictionary<string, NetworkRecord> networks, IReadOnlyDictionary<string, ServiceRecord> services)
    {
        var sandboxes = new SortedDictionary<string, SandboxSpec>(StringComparer.Ordinal);
        var containers = new List<ContainerSpec>();
        var workloads = new List<Workload>();
        foreach (TaskRecord task in tasks.Where(t => t.NodeId == nodeId && t.State == "assigned").OrderBy(t => t.Id, StringComparer.Ordinal))
        {
            // A task whose service or network is gone (removed meanwhile) waits for the next read.
            if (!services.TryGetValue(task.ServiceId, out ServiceRecord? service) || task.Networks.Any(a => !networks.ContainsKey(a.NetworkId)))
            {
                continue;
            }

            var interfaces = new List<InterfaceSpec>();
            foreach (TaskAttachment attachment in task.Networks)
            {
                NetworkRecord network = networks[attachment.NetworkId];
                SandboxSpec sandbox = Sandbox(prefix, network);
                sandboxes[sandbox.Namespace] = sandbox;
                interfaces.Add(new InterfaceSpec($"eth{interfaces.Count}", sandbox.Namespace, HostNames.SandboxVeth(task.Id),
                    $"{attachment.Address}/{PrefixLength(network)}", HostNames.MacFor(attachment.Address), network.Mtu));
            }

            string? gateway = task.Networks.Count == 0 ? null : networks[task.Networks[0].NetworkId].Gateway;
            var container = new ContainerSpec(HostNames.Container(prefix, task.Id), interfaces, gateway);
            containers.Add(container);
            workloads.Add(new Workload(task, new ContainerNaming(container.Namespace), service.Command, service.RestartCondition));
        }

        return new DesiredHost(new HostState([.. sandboxes.Values], containers), workloads);
    }

    public static SandboxSpec Sandbox(string prefix, NetworkRecord network) =>
        new(HostNames.Sandbox(prefix, network.Vni), network.Vni, $"{network.Gateway}/{PrefixLength(network)}", network.Mtu);

    private static int PrefixLength(NetworkRecord network) =>
        Ipv4Cidr.TryParse(network.Subnet, out Ipv4Cidr? subnet, out string? error) ? subnet.Value.PrefixLength : throw new InvalidDataException($"network {network.Name}: stored subnet: {error}");
}
