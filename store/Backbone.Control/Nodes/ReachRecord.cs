using MessagePack;

namespace Backbone.Control.Nodes;

/// <summary>
/// One node's view of the others, at <c>/bb/reach/&lt;reporterId&gt;</c> under the reporter's
/// lease: the nodes its agent's failure detector (SWIM on 7946) holds dead. Rewritten when that
/// set changes; gone with the reporter. <see cref="DownNodes"/> combines every node's view.
/// </summary>
[MessagePackObject]
public sealed record ReachRecord
{
    public const int CurrentSchema = 1;

    [Key(0)] public int Schema { get; init; } = CurrentSchema;
    [Key(1)] public required string ReporterId { get; init; }

    /// <summary>Ids of the nodes the reporter cannot reach, sorted.</summary>
    [Key(2)] public IReadOnlyList<string> Unreachable { get; init; } = [];
    [Key(3)] public long SinceUnixMs { get; init; }

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    public static ReachRecord Deserialize(ReadOnlyMemory<byte> bytes) =>
        SchemaCheck.Checked(MessagePackSerializer.Deserialize<ReachRecord>(bytes), r => r.Schema, CurrentSchema, r => $"reach report of {r.ReporterId}");
}
