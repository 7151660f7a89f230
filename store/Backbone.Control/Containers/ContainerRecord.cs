using Backbone.Control.Scheduling;
using MessagePack;

namespace Backbone.Control.Containers;

/// <summary>
/// A standalone container (`backbone container run`) at <c>/bb/containers/&lt;id&gt;</c>: pinned to
/// the node that took the request, on attachable networks, with its addresses allocated in the
/// Txn that writes it. Its node's agent runs it as it runs a task.
/// </summary>
[MessagePackObject]
public sealed record ContainerRecord
{
    public const int CurrentSchema = 1;

    [Key(0)] public int Schema { get; init; } = CurrentSchema;
    [Key(1)] public required string Id { get; init; }
    [Key(2)] public required string Name { get; init; }
    [Key(3)] public required string NodeId { get; init; }
    [Key(4)] public required string NodeName { get; init; }
    [Key(5)] public required IReadOnlyList<TaskAttachment> Networks { get; init; }
    [Key(6)] public required IReadOnlyList<string> Command { get; init; }

    /// <summary>"none" (the default, as `docker run`), "on-failure" or "any".</summary>
    [Key(7)] public required string RestartCondition { get; init; }
    [Key(8)] public long CreatedUnixMs { get; init; }

    /// <summary>The key its IPAM entries carry as owner.</summary>
    [IgnoreMember]
    public string AddressOwner => "container:" + Id;

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    public static ContainerRecord Deserialize(ReadOnlyMemory<byte> bytes) =>
        SchemaCheck.Checked(MessagePackSerializer.Deserialize<ContainerRecord>(bytes), r => r.Schema, CurrentSchema, r => $"container {r.Name}");
}

/// <summary>What `backbone container run` asks for, before any check.</summary>
public sealed record ContainerRunSpec
{
    /// <summary>Empty: the first 12 characters of its id.</summary>
    public string Name { get; init; } = "";
    public required IReadOnlyList<string> Networks { get; init; }
    public IReadOnlyList<string> Aliases { get; init; } = [];
    public required IReadOnlyList<string> Command { get; init; }
    public string RestartCondition { get; init; } = "none";
}
