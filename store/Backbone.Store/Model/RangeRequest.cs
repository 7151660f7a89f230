using MessagePack;

namespace Backbone.Store.Model;

public enum SortOrder
{
    None = 0,
    Ascend = 1,
    Descend = 2,
}

public enum SortTarget
{
    Key = 0,
    Version = 1,
    Create = 2,
    Mod = 3,
    Value = 4,
}

/// <summary>A read of [Key, RangeEnd) (see <see cref="Backbone.Core.KeyRange"/>) at Revision (0 = latest).</summary>
[MessagePackObject]
public sealed class RangeRequest
{
    [Key(0)] public required byte[] Key { get; init; }
    [Key(1)] public byte[] RangeEnd { get; init; } = [];
    [Key(2)] public long Limit { get; init; }
    [Key(3)] public long Revision { get; init; }
    [Key(4)] public SortOrder SortOrder { get; init; }
    [Key(5)] public SortTarget SortTarget { get; init; }
    [Key(6)] public bool Serializable { get; init; }
    [Key(7)] public bool KeysOnly { get; init; }
    [Key(8)] public bool CountOnly { get; init; }
    [Key(9)] public long MinModRevision { get; init; }
    [Key(10)] public long MaxModRevision { get; init; }
    [Key(11)] public long MinCreateRevision { get; init; }
    [Key(12)] public long MaxCreateRevision { get; init; }
}
