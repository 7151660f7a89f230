using Backbone.Control.Ipam;
using Backbone.Control.Networks;
using Backbone.Control.Services;

namespace Backbone.Control.Scheduling;

/// <summary>
/// Gives each placed task an address on every network of its service, as Docker's manager-side
/// allocator does before a task reaches a node: the node's agent then only wires what it is
/// told. Pure: the caller passes what is taken and writes the result in its Txn, which requires
/// each chosen address still free.
/// </summary>
public static class TaskAddressing
{
    /// <summary>
    /// The tasks of <paramref name="put"/> with their attachments filled in. <paramref name="used"/>
    /// (per network id) gains every address handed out. A task that cannot get an address on
    /// some network stays pending, off any node, with the reason, and is tried again next round.
    /// </summary>
    public static IReadOnlyList<TaskRecord> Assign(ServiceRecord service, IReadOnlyList<TaskRecord> put,
        IReadOnlyDictionary<string, NetworkRecord> networks, IDictionary<string, HashSet<uint>> used)
    {
        var assigned = new List<TaskRecord>(put.Count);
        foreach (TaskRecord task in put)
        {
            if (task.NodeId.Length == 0 || service.Networks.Count == 0)
            {
                assigned.Add(task);
                continue;
            }

            var attachments = new List<TaskAttachment>();
            string? problem = null;
            foreach (ServiceNetwork wanted in service.Networks)
            {
                if (!networks.TryGetValue(wanted.NetworkId, out NetworkRecord? network))
                {
                    problem = $"network \"{wanted.NetworkName}\" no longer exists";
                    break;
                }

                if (!used.TryGetValue(network.Id, out HashSet<uint>? taken))
                {
                    used[network.Id] = taken = [];
                }

                if (AddressPlanner.FirstFree(network, taken) is not { } address)
                {
                    problem = $"no free address on network \"{network.Name}\" (all {AddressPlanner.Capacity(network)} of {network.IpRange} are allocated)";
                    break;
                }

                taken.Add(address);
                attachments.Add(new TaskAttachment { NetworkId = network.Id, NetworkName = network.Name, Address = Ipv4Cidr.FormatAddress(address), Aliases = wanted.Aliases });
            }

            if (problem is null)
            {
                assigned.Add(task with { Networks = attachments });
            }
            else
            {
                // The addresses picked for its other networks go back: nothing of this task is written.
                foreach (TaskAttachment picked in attachments)
                {
                    Ipv4Cidr.TryParseAddress(picked.Address, out uint address);
                    used[picked.NetworkId].Remove(address);
                }

                assigned.Add(task with { NodeId = "", NodeName = "", State = "pending", Message = problem });
            }
        }

        return assigned;
    }
}
