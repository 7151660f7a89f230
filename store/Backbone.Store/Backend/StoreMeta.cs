using MessagePack;

namespace Backbone.Store.Backend;

/// <summary>
/// The store's own bookkeeping, upserted in FASTER as the last write of every applied batch,
/// so that a FASTER checkpoint (a prefix of the apply session's writes) says exactly which
/// commands it holds: recovery replays the log from <see cref="AppliedIndex"/> + 1 and ignores
/// records newer than <see cref="Revision"/> and leases granted or revoked after AppliedIndex
/// (commands of a batch the checkpoint cut before its meta record).
/// </summary>
[MessagePackObject]
public sealed class StoreMeta
{
    public const int CurrentSchemaVersion = 1;

    [Key(0)] public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    [Key(1)] public long AppliedIndex { get; init; }
    [Key(2)] public long Revision { get; init; }
    [Key(3)] public long CompactRevision { get; init; }
}
