using MessagePack;

namespace Backbone.Control.Scheduling;

/// <summary>
/// How a task (or standalone container) runs, as its node's agent reports it, at
/// <c>/bb/taskstatus/&lt;svcId&gt;/&lt;taskId&gt;</c> (<c>/bb/containerstatus/&lt;id&gt;</c>): beside the
/// scheduler's <see cref="TaskRecord"/>, which the agent never writes, so the scheduler's
/// compares see only its own changes. Attached to the node's lease: the status of a dead node's
/// task vanishes with it.
/// </summary>
[MessagePackObject]
public sealed record TaskStatusRecord
{
    public const int CurrentSchema = 1;

    [Key(0)] public int Schema { get; init; } = CurrentSchema;
    [Key(1)] public required string TaskId { get; init; }
    [Key(2)] public required string NodeId { get; init; }

    /// <summary>"starting", "running", "restarting", "complete" (exited 0, not restarted), "failed" (exited non-zero or could not start, not restarted).</summary>
    [Key(3)] public required string State { get; init; }
    [Key(4)] public int? ExitCode { get; init; }
    [Key(5)] public int Restarts { get; init; }
    [Key(6)] public int Pid { get; init; }

    /// <summary>Why it failed, or the last exit, for `service ps`.</summary>
    [Key(7)] public string Message { get; init; } = "";
    [Key(8)] public long SinceUnixMs { get; init; }

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    public static TaskStatusRecord Deserialize(ReadOnlyMemory<byte> bytes) => SchemaCheck.Checked(MessagePackSerializer.Deserialize<TaskStatusRecord>(bytes), r => r.Schema, CurrentSchema, r => $"status of task {r.TaskId}");
}
