using System.Text;
using Backbone.Control.Networks;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Control.Ipam;

/// <summary>
/// IP addresses of a network, one key each: <c>/bb/ipam/&lt;netId&gt;/&lt;ip&gt;</c> holds its
/// owner (an endpoint id, or <c>vip:&lt;serviceId&gt;</c>). An allocation is one Txn that
/// requires the address key absent and the network present, so two allocators on different nodes
/// that pick the same address cannot both get it: the loser reads again and picks another.
/// </summary>
public sealed class AddressAllocator(IKeyValue kv)
{
    /// <summary>Allocations lost to concurrent ones before giving up (each retry re-reads what is taken).</summary>
    private const int MaxAttempts = 32;

    /// <summary>Allocates the lowest free address of <paramref name="network"/> to <paramref name="owner"/>; returns it (dotted quad).</summary>
    public async Task<string> AllocateAsync(NetworkRecord network, string owner, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            IReadOnlySet<uint> used = await AllocatedAsync(network, cancellationToken).ConfigureAwait(false);

            // The lowest free address first; after losing one to a concurrent allocator, one of the
            // lowest few at random: two allocators in step otherwise keep choosing the same one,
            // and the slower kept losing (seen in CI: 32 losses in a row).
            List<uint> free = [.. AddressPlanner.Free(network, used, attempt == 0 ? 1 : 64)];
            if (free.Count == 0)
            {
                throw new ControlException(ControlError.FailedPrecondition,
                    $"network \"{network.Name}\" has no free address: all {AddressPlanner.Capacity(network)} of {network.IpRange} are allocated; remove containers or create a larger network");
            }

            uint address = free[attempt == 0 ? 0 : Random.Shared.Next(free.Count)];
            string ip = Ipv4Cidr.FormatAddress(address);
            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Address(network.Id, ip)), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
            txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Network(network.Id)), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Greater, Version = 0 });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(ControlKeys.Address(network.Id, ip)), Value = ByteString.CopyFromUtf8(owner) } });
            txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = ByteString.CopyFrom(ControlKeys.Network(network.Id)), CountOnly = true } });
            TxnResponse answer = await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            if (answer.Succeeded)
            {
                return ip;
            }

            if (answer.Responses[0].ResponseRange.Count == 0)
            {
                throw new ControlException(ControlError.NotFound, $"network \"{network.Name}\" was removed: no address allocated");
            }

            // Someone took that address meanwhile: read again.
        }

        throw new ControlException(ControlError.Aborted, $"no address allocated on \"{network.Name}\": concurrent allocations kept winning for {MaxAttempts} attempts; try again");
    }

    /// <summary>Releases <paramref name="ip"/> if <paramref name="owner"/> still holds it; false when it does not (released already, or someone else's).</summary>
    public async Task<bool> ReleaseAsync(NetworkRecord network, string ip, string owner, CancellationToken cancellationToken)
    {
        ByteString key = ByteString.CopyFrom(ControlKeys.Address(network.Id, ip));
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = ByteString.CopyFromUtf8(owner) });
        txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = key } });
        return (await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false)).Succeeded;
    }

    /// <summary>Every allocated address of the network with its owner.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ListAsync(NetworkRecord network, CancellationToken cancellationToken)
    {
        string prefix = ControlKeys.Ipam(network.Id);
        RangeResponse answer = await kv.RangeAsync(new RangeRequest { Key = Key(prefix), RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(prefix)) }, cancellationToken).ConfigureAwait(false);
        return answer.Kvs.ToDictionary(k => k.Key.ToStringUtf8()[prefix.Length..], k => k.Value.ToStringUtf8());
    }

    /// <summary>The network's allocated addresses (keys only), for choosing a free one.</summary>
    public async Task<IReadOnlySet<uint>> AllocatedAsync(NetworkRecord network, CancellationToken cancellationToken)
    {
        string prefix = ControlKeys.Ipam(network.Id);
        RangeResponse answer = await kv.RangeAsync(new RangeRequest { Key = Key(prefix), RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(prefix)), KeysOnly = true }, cancellationToken).ConfigureAwait(false);
        var used = new HashSet<uint>();
        foreach (Mvccpb.KeyValue allocated in answer.Kvs)
        {
            string ip = Encoding.UTF8.GetString(allocated.Key.Span[Encoding.UTF8.GetByteCount(prefix)..]);
            if (Ipv4Cidr.TryParseAddress(ip, out uint address))
            {
                used.Add(address);
            }
        }

        return used;
    }

    private static ByteString Key(string key) => ByteString.CopyFromUtf8(key);
}
