using MessagePack;

namespace Backbone.Control.Nodes;

/// <summary>A live node at <c>/bb/nodes/&lt;nodeId&gt;</c>, attached to its lease: the key vanishes when the node stops renewing.</summary>
[MessagePackObject]
public sealed record NodeRecord
{
    public const int CurrentSchema = 1;

    [Key(0)] public int Schema { get; init; } = CurrentSchema;

    /// <summary>The member id, hex (as `node ls` shows it).</summary>
    [Key(1)] public required string Id { get; init; }
    [Key(2)] public required string Name { get; init; }

    /// <summary>"manager" or "worker".</summary>
    [Key(3)] public required string Role { get; init; }

    /// <summary>The node's underlay address: where other hosts reach its VXLAN endpoint.</summary>
    [Key(4)] public required string Address { get; init; }
    [Key(5)] public long StartedUnixMs { get; init; }

    /// <summary>Its client API (http(s)://host:port): where managers gather its tasks' logs.</summary>
    [Key(6)] public string ClientUrl { get; init; } = "";

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    public static NodeRecord Deserialize(ReadOnlyMemory<byte> bytes) => MessagePackSerializer.Deserialize<NodeRecord>(bytes);
}
