using System.Security.Cryptography;
using Backbone.Control.Ipam;
using Backbone.Control.Networks;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Control.Services;

/// <summary>
/// Services in the store. A create writes the service, its name claim and its virtual IPs (one
/// per network in vip mode, owned by <c>vip:&lt;serviceId&gt;</c>) in one Txn that requires the
/// name and the addresses free and the networks present; a remove deletes all of it (and its
/// tasks) in one Txn. The scheduler turns services into tasks.
/// </summary>
public sealed class ServiceStore(IKeyValue kv, NetworkStore networks, TimeProvider time)
{
    private const int MaxAttempts = 8;
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public async Task<ServiceRecord> CreateAsync(ServiceSpec spec, CancellationToken cancellationToken)
    {
        ServicePlanner.Check(spec);
        if (CommandLookup.Problem(spec.Command[0]) is { } missing)
        {
            throw new ControlException(ControlError.InvalidArgument, missing);
        }

        List<PublishedPort> ports = [.. spec.Publish.Select(PublishedPort.Parse)];
        if (ports.GroupBy(p => (p.Name, p.Protocol)).FirstOrDefault(g => g.Count() > 1) is { } clash)
        {
            throw new ControlException(ControlError.InvalidArgument, $"two published ports are named {clash.Key.Name}/{clash.Key.Protocol}: give them different names (name=...,target=...)");
        }

        var attached = new List<NetworkRecord>();
        foreach (string wanted in spec.Networks)
        {
            NetworkRecord network = await networks.FindAsync(wanted, cancellationToken).ConfigureAwait(false);
            DataPlaneSupport.RequireCarried(network);
            attached.Add(network);
        }

        string id = RandomNumberGenerator.GetString(IdAlphabet, 25);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            RangeResponse claimed = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(ControlKeys.ServiceName(spec.Name)) }, cancellationToken).ConfigureAwait(false);
            if (claimed.Kvs.Count > 0)
            {
                throw new ControlException(ControlError.AlreadyExists, $"a service named \"{spec.Name}\" already exists (id {claimed.Kvs[0].Value.ToStringUtf8()}): choose another name, or use `backbone service scale` / `service rm`");
            }

            var txn = new TxnRequest();
            var serviceNetworks = new List<ServiceNetwork>();
            foreach (NetworkRecord network in attached)
            {
                string vip = "";
                if (spec.EndpointMode == "vip")
                {
                    var allocator = new AddressAllocator(kv);
                    IReadOnlySet<uint> used = await allocator.AllocatedAsync(network, cancellationToken).ConfigureAwait(false);
                    uint address = AddressPlanner.FirstFree(network, used)
                        ?? throw new ControlException(ControlError.FailedPrecondition, $"network \"{network.Name}\" has no free address for the service's virtual IP");
                    vip = Ipv4Cidr.FormatAddress(address);
                    ByteString vipKey = ByteString.CopyFrom(ControlKeys.Address(network.Id, vip));
                    txn.Compare.Add(new Compare { Key = vipKey, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
                    txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = vipKey, Value = ByteString.CopyFromUtf8("vip:" + id) } });
                }

                txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Network(network.Id)), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Greater, Version = 0 });
                txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(ControlKeys.NetworkUse(network.Id, id)), Value = ByteString.CopyFromUtf8(spec.Name) } });
                serviceNetworks.Add(new ServiceNetwork { NetworkId = network.Id, NetworkName = network.Name, Aliases = spec.Aliases, Vip = vip });
            }

            long now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var service = new ServiceRecord
            {
                Id = id,
                Name = spec.Name,
                Replicas = spec.Replicas,
                EndpointMode = spec.EndpointMode,
                Networks = serviceNetworks,
                Ports = ports,
                RestartCondition = spec.RestartCondition,
                Command = spec.Command,
                Constraints = spec.Constraints,
                Version = 1,
                CreatedUnixMs = now,
                UpdatedUnixMs = now,
            };
            txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.ServiceName(spec.Name)), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(ControlKeys.Service(id)), Value = ByteString.CopyFrom(service.Serialize()) } });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(ControlKeys.ServiceName(spec.Name)), Value = ByteString.CopyFromUtf8(id) } });
            if ((await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                return service;
            }

            // A concurrent create took the name or an address, or a network went: look again.
            foreach (NetworkRecord network in attached)
            {
                await networks.FindAsync(network.Id, cancellationToken).ConfigureAwait(false); // NOT_FOUND if removed meanwhile
            }
        }

        throw new ControlException(ControlError.Aborted, $"service \"{spec.Name}\" was not created: concurrent changes kept winning; try again");
    }

    public async Task<IReadOnlyList<ServiceRecord>> ListAsync(CancellationToken cancellationToken)
    {
        RangeResponse answer = await kv.RangeAsync(new RangeRequest
        {
            Key = ByteString.CopyFromUtf8(ControlKeys.ServicesPrefix),
            RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(ControlKeys.ServicesPrefix)),
        }, cancellationToken).ConfigureAwait(false);
        return [.. answer.Kvs.Select(k => ServiceRecord.Deserialize(k.Value.Memory)).OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>A service by name, full id or unique id prefix.</summary>
    public async Task<ServiceRecord> FindAsync(string nameOrId, CancellationToken cancellationToken) =>
        await FindOrNullAsync(nameOrId, cancellationToken).ConfigureAwait(false)
            ?? throw new ControlException(ControlError.NotFound, $"no service \"{nameOrId}\": `backbone service ls` lists them");

    /// <summary>The service's tasks by slot, each with how it runs as its node's agent last reported (null before any report, or after its node went).</summary>
    public async Task<IReadOnlyList<Scheduling.TaskView>> TasksAsync(string nameOrId, CancellationToken cancellationToken)
    {
        ServiceRecord service = await FindAsync(nameOrId, cancellationToken).ConfigureAwait(false);
        TxnRequest read = ControlKeys.ReadPrefixes(ControlKeys.Tasks(service.Id), ControlKeys.TaskStatuses(service.Id));

        TxnResponse answer = await kv.TxnAsync(read, cancellationToken).ConfigureAwait(false);
        Dictionary<string, Scheduling.TaskStatusRecord> statuses = answer.Responses[1].ResponseRange.Kvs
            .Select(k => Scheduling.TaskStatusRecord.Deserialize(k.Value.Memory)).ToDictionary(s => s.TaskId, StringComparer.Ordinal);
        return [.. answer.Responses[0].ResponseRange.Kvs.Select(k => Scheduling.TaskRecord.Deserialize(k.Value.Memory)).OrderBy(t => t.Slot)
            .Select(t => new Scheduling.TaskView(t, statuses.GetValueOrDefault(t.Id)))];
    }

    /// <summary>Sets the replica count (`service scale NAME=N`): a Txn on the service's revision.</summary>
    public Task<ServiceRecord> ScaleAsync(string nameOrId, int replicas, CancellationToken cancellationToken)
    {
        ServicePlanner.CheckReplicas(replicas);
        return ChangeAsync(nameOrId, "scaled", service => service with { Replicas = replicas }, cancellationToken);
    }

    /// <summary>
    /// `service update`: what is given changes, the rest stays. A new command or restart
    /// condition (or <see cref="ServiceUpdate.Force"/>) is a new version of the service: the
    /// scheduler then replaces its tasks one at a time (Docker's default parallelism of 1).
    /// </summary>
    public Task<ServiceRecord> UpdateAsync(string nameOrId, ServiceUpdate update, CancellationToken cancellationToken)
    {
        ServicePlanner.CheckUpdate(update);
        if (update.Command is [var program, ..] && CommandLookup.Problem(program) is { } missing)
        {
            throw new ControlException(ControlError.InvalidArgument, missing);
        }

        return ChangeAsync(nameOrId, "updated", service =>
        {
            List<string> constraints = [.. service.Constraints.Where(c => !update.RemoveConstraints.Contains(c)), .. update.AddConstraints.Where(c => !service.Constraints.Contains(c))];
            ServiceRecord changed = service with
            {
                Replicas = update.Replicas ?? service.Replicas,
                RestartCondition = update.RestartCondition ?? service.RestartCondition,
                Command = update.Command ?? service.Command,
                Constraints = constraints,
            };
            bool newVersion = update.Force || !changed.Command.SequenceEqual(service.Command) || changed.RestartCondition != service.RestartCondition;
            return newVersion ? changed with { Version = service.Version + 1 } : changed;
        }, cancellationToken);
    }

    /// <summary>Rewrites the service as <paramref name="change"/> says, in a Txn on the revision it read (read again after a concurrent change).</summary>
    private async Task<ServiceRecord> ChangeAsync(string nameOrId, string done, Func<ServiceRecord, ServiceRecord> change, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            (ServiceRecord service, long revision) = await ReadAsync(nameOrId, cancellationToken).ConfigureAwait(false);
            ServiceRecord changed = change(service) with { UpdatedUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds() };
            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Service(service.Id)), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(ControlKeys.Service(service.Id)), Value = ByteString.CopyFrom(changed.Serialize()) } });
            if ((await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                return changed;
            }
        }

        throw new ControlException(ControlError.Aborted, $"service \"{nameOrId}\" was not {done}: concurrent updates kept winning; try again");
    }

    /// <summary>
    /// Removes a service, its name claim, its virtual IPs, its tasks and their addresses, in one
    /// Txn. It requires the tasks as read: a scheduler round that wrote a task meanwhile (with a
    /// new address) fails it, and it is tried again, so no address is left behind.
    /// </summary>
    public async Task<ServiceRecord> RemoveAsync(string nameOrId, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 8; attempt++)
        {
            (ServiceRecord service, long revision) = await ReadAsync(nameOrId, cancellationToken).ConfigureAwait(false);
            string tasks = ControlKeys.Tasks(service.Id);
            RangeResponse current = await kv.RangeAsync(ControlKeys.PrefixRange(tasks), cancellationToken).ConfigureAwait(false);
            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Service(service.Id)), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision });
            txn.Success.Add(Delete(ControlKeys.Service(service.Id)));
            txn.Success.Add(Delete(ControlKeys.ServiceName(service.Name)));
            foreach (ServiceNetwork network in service.Networks)
            {
                txn.Success.Add(Delete(ControlKeys.NetworkUse(network.NetworkId, service.Id)));
                if (network.Vip.Length > 0)
                {
                    txn.Success.Add(Delete(ControlKeys.Address(network.NetworkId, network.Vip)));
                }
            }

            var seenSlots = new HashSet<int>();
            foreach (Mvccpb.KeyValue kvp in current.Kvs)
            {
                Scheduling.TaskRecord task = Scheduling.TaskRecord.Deserialize(kvp.Value.Memory);
                seenSlots.Add(task.Slot);
                txn.Compare.Add(new Compare { Key = kvp.Key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = kvp.ModRevision });
                foreach (Scheduling.TaskAttachment attachment in task.Networks)
                {
                    txn.Success.Add(Delete(ControlKeys.Address(attachment.NetworkId, attachment.Address)));
                }
            }

            // The scheduler creates slots up to the replica count only: each not seen must still be absent.
            for (int slot = 1; slot <= service.Replicas; slot++)
            {
                if (!seenSlots.Contains(slot))
                {
                    txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Task(service.Id, slot)), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
                }
            }

            txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(tasks), RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(tasks)) } });
            if ((await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                return service;
            }
        }

        throw new ControlException(ControlError.Aborted, $"service \"{nameOrId}\" kept changing while it was being removed: try again");
    }

    private async Task<(ServiceRecord Service, long Revision)> ReadAsync(string nameOrId, CancellationToken cancellationToken)
    {
        ServiceRecord found = await FindAsync(nameOrId, cancellationToken).ConfigureAwait(false);
        RangeResponse answer = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(ControlKeys.Service(found.Id)) }, cancellationToken).ConfigureAwait(false);
        if (answer.Kvs.Count == 0)
        {
            throw new ControlException(ControlError.NotFound, $"no service \"{nameOrId}\" (removed meanwhile)");
        }

        return (ServiceRecord.Deserialize(answer.Kvs[0].Value.Memory), answer.Kvs[0].ModRevision);
    }

    private async Task<ServiceRecord?> FindOrNullAsync(string nameOrId, CancellationToken cancellationToken) =>
        NameOrId.Find(await ListAsync(cancellationToken).ConfigureAwait(false), nameOrId, s => s.Name, s => s.Id, "service");

    private static RequestOp Delete(byte[] key) => new() { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFrom(key) } };
}
