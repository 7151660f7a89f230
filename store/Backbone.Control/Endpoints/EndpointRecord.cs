using MessagePack;

namespace Backbone.Control.Endpoints;

/// <summary>
/// A container's place on one network, at <c>/bb/endpoints/&lt;netId&gt;/&lt;taskId&gt;</c>,
/// written by the agent of the node that runs it and attached to that node's lease: a dead
/// host's endpoints vanish with its lease. The DNS server and the other hosts' VXLAN tables are
/// fed from these.
/// </summary>
[MessagePackObject]
public sealed record EndpointRecord
{
    public const int CurrentSchema = 1;

    [Key(0)] public int Schema { get; init; } = CurrentSchema;

    /// <summary>The task's (or standalone container's) id.</summary>
    [Key(1)] public required string Id { get; init; }

    /// <summary>The full name: <c>web.1.&lt;taskId&gt;</c> for a task.</summary>
    [Key(2)] public required string Name { get; init; }
    [Key(3)] public required string NetworkId { get; init; }
    [Key(4)] public string ServiceId { get; init; } = "";
    [Key(5)] public string ServiceName { get; init; } = "";
    [Key(6)] public int Slot { get; init; }
    [Key(7)] public IReadOnlyList<string> Aliases { get; init; } = [];
    [Key(8)] public required string Address { get; init; }
    [Key(9)] public required string Mac { get; init; }
    [Key(10)] public required string NodeId { get; init; }

    /// <summary>The node's underlay address: the VXLAN tunnel endpoint other hosts send to.</summary>
    [Key(11)] public required string NodeAddress { get; init; }

    /// <summary>Whether its process runs: DNS answers only with running endpoints.</summary>
    [Key(12)] public bool Running { get; init; }

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    public static EndpointRecord Deserialize(ReadOnlyMemory<byte> bytes) => SchemaCheck.Checked(MessagePackSerializer.Deserialize<EndpointRecord>(bytes), r => r.Schema, CurrentSchema, r => $"endpoint {r.Name}");
}
