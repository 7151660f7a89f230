using System.Globalization;
using MessagePack;

namespace Backbone.Control.Scheduling;

/// <summary>
/// One slot of a service at <c>/bb/tasks/&lt;svcId&gt;/&lt;slot&gt;</c>, written by the scheduler on
/// the leader. One key per slot: a slot never has two tasks; replacing a task (its node went)
/// overwrites the key with a new task id, and the old node's agent stops what it no longer sees.
/// </summary>
[MessagePackObject]
public sealed record TaskRecord
{
    public const int CurrentSchema = 1;

    [Key(0)] public int Schema { get; init; } = CurrentSchema;
    [Key(1)] public required string Id { get; init; }
    [Key(2)] public required string ServiceId { get; init; }
    [Key(3)] public required string ServiceName { get; init; }
    [Key(4)] public int Slot { get; init; }

    /// <summary>The node it runs on; empty while pending (no node fits).</summary>
    [Key(5)] public string NodeId { get; init; } = "";
    [Key(6)] public string NodeName { get; init; } = "";

    /// <summary>"pending" (no node fits) or "assigned"; the agent reports how it runs in its own record.</summary>
    [Key(7)] public required string State { get; init; }
    [Key(8)] public long CreatedUnixMs { get; init; }

    /// <summary>
    /// The task's address on each of its service's networks, allocated by the scheduler in the
    /// same Txn that writes the task (and released in the one that replaces or removes it), so an
    /// address never outlives its task and a task never runs without one.
    /// </summary>
    [Key(9)] public IReadOnlyList<TaskAttachment> Networks { get; init; } = [];

    /// <summary>Why a task waits (pending), for `service ps`; empty otherwise.</summary>
    [Key(10)] public string Message { get; init; } = "";

    /// <summary>The <see cref="Services.ServiceRecord.Version"/> it was made for: an older one is replaced by the rolling update.</summary>
    [Key(11)] public int ServiceVersion { get; init; }

    /// <summary>Docker's task name: <c>web.1.&lt;taskId&gt;</c>.</summary>
    [IgnoreMember]
    public string Name => $"{ServiceName}.{Slot.ToString(CultureInfo.InvariantCulture)}.{Id}";

    /// <summary>The key its IPAM entries carry as owner.</summary>
    [IgnoreMember]
    public string AddressOwner => "task:" + Id;

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    public static TaskRecord Deserialize(ReadOnlyMemory<byte> bytes) => MessagePackSerializer.Deserialize<TaskRecord>(bytes);
}

/// <summary>A task's place on one network: its address there and the names it answers to besides its own.</summary>
[MessagePackObject]
public sealed record TaskAttachment
{
    [Key(0)] public required string NetworkId { get; init; }
    [Key(1)] public required string NetworkName { get; init; }

    /// <summary>Dotted quad, from the network's IP range.</summary>
    [Key(2)] public required string Address { get; init; }
    [Key(3)] public IReadOnlyList<string> Aliases { get; init; } = [];
}
