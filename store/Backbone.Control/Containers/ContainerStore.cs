using System.Security.Cryptography;
using Backbone.Control.Ipam;
using Backbone.Control.Networks;
using Backbone.Control.Scheduling;
using Backbone.Control.Services;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Control.Containers;

/// <summary>
/// Standalone containers: each is one Txn that claims its name, its addresses (required free)
/// and writes its record, so a crash or a lost race leaves all of it or none; removal is one Txn
/// too, addresses included.
/// </summary>
public sealed class ContainerStore(IKeyValue kv, NetworkStore networks, TimeProvider time)
{
    private const int MaxAttempts = 8;
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>Creates a container on node <paramref name="nodeId"/> (the one that took the request).</summary>
    public async Task<ContainerRecord> RunAsync(ContainerRunSpec spec, string nodeId, string nodeName, CancellationToken cancellationToken)
    {
        Check(spec);
        var attached = new List<NetworkRecord>();
        foreach (string wanted in spec.Networks)
        {
            NetworkRecord network = await networks.FindAsync(wanted, cancellationToken).ConfigureAwait(false);
            DataPlaneSupport.RequireCarried(network);
            if (!network.Attachable)
            {
                throw new ControlException(ControlError.FailedPrecondition,
                    $"network \"{network.Name}\" is not attachable: standalone containers join only networks created with --attachable (services join any)");
            }

            attached.Add(network);
        }

        string id = RandomNumberGenerator.GetString(IdAlphabet, 25);
        string name = spec.Name.Length > 0 ? spec.Name : id[..12];
        var allocator = new AddressAllocator(kv);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            RangeResponse claimed = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(ControlKeys.ContainerName(name)) }, cancellationToken).ConfigureAwait(false);
            if (claimed.Kvs.Count > 0)
            {
                throw new ControlException(ControlError.AlreadyExists, $"a container named \"{name}\" already exists: choose another name, or `backbone container rm {name}` first");
            }

            var txn = new TxnRequest();
            var attachments = new List<TaskAttachment>();
            foreach (NetworkRecord network in attached)
            {
                IReadOnlySet<uint> used = await allocator.AllocatedAsync(network, cancellationToken).ConfigureAwait(false);
                List<uint> free = [.. AddressPlanner.Free(network, used, attempt == 0 ? 1 : 64)];
                if (free.Count == 0)
                {
                    throw new ControlException(ControlError.FailedPrecondition, $"network \"{network.Name}\" has no free address: all {AddressPlanner.Capacity(network)} of {network.IpRange} are allocated");
                }

                string ip = Ipv4Cidr.FormatAddress(free[attempt == 0 ? 0 : Random.Shared.Next(free.Count)]); // after a lost race, not the same pick again
                ByteString key = ByteString.CopyFrom(ControlKeys.Address(network.Id, ip));
                txn.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
                txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Network(network.Id)), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Greater, Version = 0 });
                txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("container:" + id) } });
                attachments.Add(new TaskAttachment { NetworkId = network.Id, NetworkName = network.Name, Address = ip, Aliases = spec.Aliases });
            }

            var container = new ContainerRecord
            {
                Id = id,
                Name = name,
                NodeId = nodeId,
                NodeName = nodeName,
                Networks = attachments,
                Command = spec.Command,
                RestartCondition = spec.RestartCondition,
                CreatedUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            };
            txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.ContainerName(name)), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(ControlKeys.Container(id)), Value = ByteString.CopyFrom(container.Serialize()) } });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(ControlKeys.ContainerName(name)), Value = ByteString.CopyFromUtf8(id) } });
            if ((await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                return container;
            }

            // A concurrent allocation took an address, or a create took the name, or a network went: look again.
            foreach (NetworkRecord network in attached)
            {
                await networks.FindAsync(network.Id, cancellationToken).ConfigureAwait(false); // NOT_FOUND if removed meanwhile
            }
        }

        throw new ControlException(ControlError.Aborted, $"container \"{name}\" was not created: concurrent changes kept winning; try again");
    }

    public async Task<IReadOnlyList<(ContainerRecord Container, TaskStatusRecord? Status)>> ListAsync(CancellationToken cancellationToken)
    {
        TxnRequest read = ControlKeys.ReadPrefixes(ControlKeys.ContainersPrefix, ControlKeys.ContainerStatusPrefix);

        TxnResponse answer = await kv.TxnAsync(read, cancellationToken).ConfigureAwait(false);
        Dictionary<string, TaskStatusRecord> statuses = answer.Responses[1].ResponseRange.Kvs
            .Select(k => TaskStatusRecord.Deserialize(k.Value.Memory)).ToDictionary(s => s.TaskId, StringComparer.Ordinal);
        return [.. answer.Responses[0].ResponseRange.Kvs.Select(k => ContainerRecord.Deserialize(k.Value.Memory))
            .OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => (c, statuses.GetValueOrDefault(c.Id)))];
    }

    /// <summary>By name, full id, or a unique start of an id; null when none.</summary>
    public async Task<ContainerRecord?> FindOrNullAsync(string nameOrId, CancellationToken cancellationToken) =>
        NameOrId.Find((await ListAsync(cancellationToken).ConfigureAwait(false)).Select(c => c.Container), nameOrId, c => c.Name, c => c.Id, "container");

    /// <summary>Removes a container, its name and its addresses in one Txn; its node's agent then stops and removes it.</summary>
    public async Task<ContainerRecord> RemoveAsync(string nameOrId, CancellationToken cancellationToken)
    {
        ContainerRecord container = await FindOrNullAsync(nameOrId, cancellationToken).ConfigureAwait(false)
            ?? throw new ControlException(ControlError.NotFound, $"no container \"{nameOrId}\": `backbone container ls` lists them");
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Container(container.Id)), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Greater, Version = 0 });
        txn.Success.Add(Delete(ControlKeys.Container(container.Id)));
        txn.Success.Add(Delete(ControlKeys.ContainerName(container.Name)));
        foreach (TaskAttachment attachment in container.Networks)
        {
            txn.Success.Add(Delete(ControlKeys.Address(attachment.NetworkId, attachment.Address)));
        }

        if (!(await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false)).Succeeded)
        {
            throw new ControlException(ControlError.NotFound, $"container \"{nameOrId}\" was removed meanwhile");
        }

        return container;
    }

    private static void Check(ContainerRunSpec spec)
    {
        if (spec.Name.Length > 0 && !ServicePlanner.IsDnsName(spec.Name))
        {
            throw new ControlException(ControlError.InvalidArgument, $"\"{spec.Name}\" is not a valid container name: use 1-63 letters, digits or '-' (it becomes a DNS name)");
        }

        if (spec.Networks.Count == 0)
        {
            throw new ControlException(ControlError.InvalidArgument, "no --network: a standalone container joins at least one attachable network");
        }

        if (spec.RestartCondition is not ("any" or "on-failure" or "none"))
        {
            throw new ControlException(ControlError.InvalidArgument, $"--restart-condition \"{spec.RestartCondition}\": use any, on-failure or none");
        }

        if (spec.Command.Count == 0 || spec.Command[0].Length == 0)
        {
            throw new ControlException(ControlError.InvalidArgument, "no command: give it after --, e.g. backbone container run --network appnet -- sleep infinity");
        }

        if (spec.Aliases.FirstOrDefault(a => !ServicePlanner.IsDnsName(a)) is { } alias)
        {
            throw new ControlException(ControlError.InvalidArgument, $"--alias \"{alias}\" is not a valid DNS name: use 1-63 letters, digits or '-'");
        }

        if (CommandLookup.Problem(spec.Command[0]) is { } missing)
        {
            throw new ControlException(ControlError.InvalidArgument, missing);
        }
    }

    private static RequestOp Delete(byte[] key) => new() { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFrom(key) } };
}
