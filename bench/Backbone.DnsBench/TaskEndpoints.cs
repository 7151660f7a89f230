using System.Globalization;
using System.Security.Cryptography;
using Backbone.Control;
using Backbone.Control.Endpoints;
using Backbone.Control.Ipam;
using Backbone.Control.Networks;
using Backbone.Control.Nodes;
using Backbone.Control.Services;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.DnsBench;

/// <summary>
/// Task endpoints as a node's agent publishes them once a task's process runs
/// (<c>/bb/endpoints/&lt;netId&gt;/&lt;taskId&gt;</c>, Running = true): the nodes under test run
/// with --no-agent (no namespaces or processes on a benchmark machine), so this plays the agent's
/// last step. The address comes from the network's IPAM as a task's does.
/// </summary>
public sealed class TaskEndpoints(IKeyValue kv, NetworkRecord network, NodeRecord node)
{
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A new running endpoint for slot <paramref name="slot"/> of <paramref name="service"/>, its address allocated; not yet written.</summary>
    public async Task<EndpointRecord> NewAsync(ServiceRecord service, int slot, CancellationToken cancellationToken)
    {
        string id = RandomNumberGenerator.GetString(IdAlphabet, 25);
        string address = await new AddressAllocator(kv).AllocateAsync(network, "task:" + id, cancellationToken).ConfigureAwait(false);
        return new EndpointRecord
        {
            Id = id,
            Name = string.Create(CultureInfo.InvariantCulture, $"{service.Name}.{slot}.{id}"),
            NetworkId = network.Id,
            ServiceId = service.Id,
            ServiceName = service.Name,
            Slot = slot,
            Address = address,
            Mac = MacFor(address),
            NodeId = node.Id,
            NodeAddress = node.Address,
            Running = true,
        };
    }

    public Task<TxnResponse> PutAsync(EndpointRecord endpoint, CancellationToken cancellationToken)
    {
        var txn = new TxnRequest();
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Key(endpoint), Value = ByteString.CopyFrom(endpoint.Serialize()) } });
        return kv.TxnAsync(txn, cancellationToken);
    }

    public Task<TxnResponse> DeleteAsync(EndpointRecord endpoint, CancellationToken cancellationToken)
    {
        var txn = new TxnRequest();
        txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Key(endpoint) } });
        return kv.TxnAsync(txn, cancellationToken);
    }

    private static ByteString Key(EndpointRecord endpoint) => ByteString.CopyFrom(ControlKeys.Endpoint(endpoint.NetworkId, endpoint.Id));

    /// <summary>Docker's rule, 02:42 and the IPv4 address (the agent's own, which lives in the overlay project).</summary>
    private static string MacFor(string address) =>
        "02:42:" + string.Join(':', address.Split('.').Select(b => int.Parse(b, CultureInfo.InvariantCulture).ToString("x2", CultureInfo.InvariantCulture)));
}
