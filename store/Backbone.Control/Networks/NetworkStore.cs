using System.Security.Cryptography;
using System.Text;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Control.Networks;

/// <summary>
/// Networks in the store: create, list, inspect, remove. Each change is one transaction (network,
/// name, VNI, key ring and the <see cref="ControlKeys.NetworksGuard"/> together), so a crash leaves
/// all of it or none, and it is planned from a snapshot that the transaction requires unchanged.
/// </summary>
public sealed class NetworkStore(IKeyValue kv, SubnetPool pool, TimeProvider time, Func<string>? newId = null)
{
    /// <summary>Creates lost to concurrent network changes before giving up (each retry re-plans from fresh state).</summary>
    private const int MaxAttempts = 8;

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    private readonly Func<string> newId = newId ?? (() => RandomNumberGenerator.GetString(IdAlphabet, 25));

    public async Task<NetworkRecord> CreateAsync(NetworkSpec spec, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            (IReadOnlyList<NetworkRecord> existing, long guard) = await SnapshotAsync(cancellationToken).ConfigureAwait(false);
            NetworkRecord network = NetworkPlanner.Plan(spec, existing, pool, newId(), time.GetUtcNow().ToUnixTimeMilliseconds());
            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = Key(ControlKeys.NetworksGuard), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = guard });
            txn.Compare.Add(Absent(ControlKeys.NetworkName(network.Name)));
            txn.Compare.Add(Absent(ControlKeys.Vni(network.Vni)));
            txn.Success.Add(Put(ControlKeys.Network(network.Id), network.Serialize()));
            txn.Success.Add(Put(ControlKeys.NetworkName(network.Name), Encoding.UTF8.GetBytes(network.Id)));
            txn.Success.Add(Put(ControlKeys.Vni(network.Vni), Encoding.UTF8.GetBytes(network.Id)));
            txn.Success.Add(Put(Key(ControlKeys.NetworksGuard), Encoding.UTF8.GetBytes(network.Id)));
            if (network.Encrypted)
            {
                txn.Success.Add(Put(ControlKeys.KeyRing(network.Id), KeyRingRecord.Create(network.Id, network.CreatedUnixMs).Serialize()));
            }

            TxnResponse answer = await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            if (answer.Succeeded)
            {
                return network;
            }

            // Another network changed since the snapshot: plan again from the new state (which may
            // now refuse, e.g. the name was taken by a concurrent create).
        }

        throw new ControlException(ControlError.Aborted, $"network \"{spec.Name}\" was not created: other network changes kept winning for {MaxAttempts} attempts; try again");
    }

    /// <summary>Every network, by name.</summary>
    public async Task<IReadOnlyList<NetworkRecord>> ListAsync(CancellationToken cancellationToken) =>
        (await SnapshotAsync(cancellationToken).ConfigureAwait(false)).Networks;

    /// <summary>A network by name, full id or unique id prefix (as `docker network inspect`).</summary>
    public async Task<NetworkRecord> FindAsync(string nameOrId, CancellationToken cancellationToken) =>
        NameOrId.Find(await ListAsync(cancellationToken).ConfigureAwait(false), nameOrId, n => n.Name, n => n.Id, "network")
            ?? throw new ControlException(ControlError.NotFound, $"no network \"{nameOrId}\": `backbone network ls` lists them");

    /// <summary>
    /// Rotates an encrypted network's keys now (`network rotate-keys`, and the leader's timer):
    /// one Txn that requires the ring unchanged since it was read, so two rotations at once
    /// cannot skip a key. Returns the new ring.
    /// </summary>
    public async Task<KeyRingRecord> RotateKeysAsync(string nameOrId, CancellationToken cancellationToken) =>
        (await RotateKeysAsync(nameOrId, cancellationToken, ifRevision: null).ConfigureAwait(false))!;

    /// <summary>
    /// As <see cref="RotateKeysAsync(string, CancellationToken)"/>; with <paramref name="ifRevision"/>,
    /// only the ring at that revision is rotated (null when it changed since: someone rotated it).
    /// </summary>
    public async Task<KeyRingRecord?> RotateKeysAsync(string nameOrId, CancellationToken cancellationToken, long? ifRevision)
    {
        NetworkRecord network = await FindAsync(nameOrId, cancellationToken).ConfigureAwait(false);
        if (!network.Encrypted)
        {
            throw new ControlException(ControlError.InvalidArgument, $"network \"{network.Name}\" is not encrypted: it has no keys to rotate (create it with --opt encrypted)");
        }

        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            RangeResponse read = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(ControlKeys.KeyRing(network.Id)) }, cancellationToken).ConfigureAwait(false);
            if (read.Kvs.Count == 0)
            {
                throw new ControlException(ControlError.NotFound, $"network \"{network.Name}\" has no key ring (removed meanwhile?)");
            }

            if (ifRevision is long expected && read.Kvs[0].ModRevision != expected)
            {
                return null;
            }

            KeyRingRecord rotated = KeyRingRecord.Deserialize(read.Kvs[0].Value.Memory).Rotate(time.GetUtcNow().ToUnixTimeMilliseconds());
            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.KeyRing(network.Id)), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = read.Kvs[0].ModRevision });
            txn.Success.Add(Put(ControlKeys.KeyRing(network.Id), rotated.Serialize()));
            if ((await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                return rotated;
            }

            if (ifRevision is not null)
            {
                return null; // rotated by someone else meanwhile
            }
        }

        throw new ControlException(ControlError.Aborted, $"the keys of \"{network.Name}\" were not rotated: other rotations kept winning; try again");
    }

    /// <summary>An encrypted network's current key ring, with the revision it was written at.</summary>
    public async Task<(KeyRingRecord Ring, long Revision)?> KeyRingAsync(NetworkRecord network, CancellationToken cancellationToken)
    {
        RangeResponse read = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(ControlKeys.KeyRing(network.Id)) }, cancellationToken).ConfigureAwait(false);
        return read.Kvs.Count == 0 ? null : (KeyRingRecord.Deserialize(read.Kvs[0].Value.Memory), read.Kvs[0].ModRevision);
    }

    /// <summary>Removes a network that nothing uses: refused while it has endpoints or allocated addresses.</summary>
    public async Task<NetworkRecord> RemoveAsync(string nameOrId, CancellationToken cancellationToken)
    {
        NetworkRecord network = await FindAsync(nameOrId, cancellationToken).ConfigureAwait(false);
        long endpoints = await CountAsync(ControlKeys.Endpoints(network.Id), cancellationToken).ConfigureAwait(false);
        long addresses = await CountAsync(ControlKeys.Ipam(network.Id), cancellationToken).ConfigureAwait(false);
        long services = await CountAsync(ControlKeys.NetworkUses(network.Id), cancellationToken).ConfigureAwait(false);
        if (endpoints > 0 || addresses > 0 || services > 0)
        {
            throw InUse(network, endpoints, addresses, services);
        }

        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Network(network.Id)), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Greater, Version = 0 });
        txn.Compare.Add(Empty(ControlKeys.Endpoints(network.Id)));
        txn.Compare.Add(Empty(ControlKeys.Ipam(network.Id)));
        txn.Compare.Add(Empty(ControlKeys.NetworkUses(network.Id)));
        txn.Success.Add(Delete(ControlKeys.Network(network.Id)));
        txn.Success.Add(Delete(ControlKeys.NetworkName(network.Name)));
        txn.Success.Add(Delete(ControlKeys.Vni(network.Vni)));
        txn.Success.Add(Delete(ControlKeys.KeyRing(network.Id)));
        txn.Success.Add(Put(Key(ControlKeys.NetworksGuard), Encoding.UTF8.GetBytes(network.Id)));
        TxnResponse answer = await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (!answer.Succeeded)
        {
            // Removed meanwhile, or something attached to it between the check and the transaction.
            NetworkRecord still = await FindAsync(network.Id, cancellationToken).ConfigureAwait(false);
            throw InUse(still,
                await CountAsync(ControlKeys.Endpoints(network.Id), cancellationToken).ConfigureAwait(false),
                await CountAsync(ControlKeys.Ipam(network.Id), cancellationToken).ConfigureAwait(false),
                await CountAsync(ControlKeys.NetworkUses(network.Id), cancellationToken).ConfigureAwait(false));
        }

        return network;
    }

    /// <summary>All networks and the guard's mod revision, read at one revision (one read-only transaction).</summary>
    private async Task<(IReadOnlyList<NetworkRecord> Networks, long Guard)> SnapshotAsync(CancellationToken cancellationToken)
    {
        var read = new TxnRequest();
        read.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = Key(ControlKeys.NetworksPrefix), RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(ControlKeys.NetworksPrefix)) } });
        read.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = Key(ControlKeys.NetworksGuard) } });
        TxnResponse answer = await kv.TxnAsync(read, cancellationToken).ConfigureAwait(false);
        List<NetworkRecord> networks = [.. answer.Responses[0].ResponseRange.Kvs.Select(kv => NetworkRecord.Deserialize(kv.Value.Memory)).OrderBy(n => n.Name, StringComparer.Ordinal)];
        long guard = answer.Responses[1].ResponseRange.Kvs.Count == 0 ? 0 : answer.Responses[1].ResponseRange.Kvs[0].ModRevision;
        return (networks, guard);
    }

    private async Task<long> CountAsync(string prefix, CancellationToken cancellationToken)
    {
        RangeResponse answer = await kv.RangeAsync(new RangeRequest { Key = Key(prefix), RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(prefix)), CountOnly = true }, cancellationToken).ConfigureAwait(false);
        return answer.Count;
    }

    private static ControlException InUse(NetworkRecord network, long endpoints, long addresses, long services) =>
        new(ControlError.FailedPrecondition, $"network \"{network.Name}\" is in use ({services} services, {endpoints} endpoints, {addresses} allocated addresses): remove its services and containers first");

    private static ByteString Key(string key) => ByteString.CopyFromUtf8(key);

    private static Compare Absent(byte[] key) =>
        new() { Key = ByteString.CopyFrom(key), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 };

    /// <summary>Holds when no key has the prefix: a version compare over the range holds only if it holds for every key in it.</summary>
    private static Compare Empty(string prefix) =>
        new() { Key = Key(prefix), RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(prefix)), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0 };

    private static RequestOp Put(byte[] key, byte[] value) =>
        new() { RequestPut = new PutRequest { Key = ByteString.CopyFrom(key), Value = ByteString.CopyFrom(value) } };

    private static RequestOp Put(ByteString key, byte[] value) =>
        new() { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFrom(value) } };

    private static RequestOp Delete(byte[] key) =>
        new() { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFrom(key) } };
}
