using MessagePack;

namespace Backbone.Store.Backend;

/// <summary>
/// The value stored in FASTER for one (main, sub) revision: the whole change, so that the index
/// and the watch history can be rebuilt from FASTER alone.
/// </summary>
[MessagePackObject]
public sealed class RevisionRecord
{
    public const int CurrentSchemaVersion = 1;

    [Key(0)] public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    [Key(1)] public required byte[] Key { get; init; }
    [Key(2)] public byte[] Value { get; init; } = [];
    [Key(3)] public long CreateRevision { get; init; }
    [Key(4)] public long ModRevision { get; init; }
    [Key(5)] public long Version { get; init; }
    [Key(6)] public long Lease { get; init; }
    [Key(7)] public bool Tombstone { get; init; }
}
