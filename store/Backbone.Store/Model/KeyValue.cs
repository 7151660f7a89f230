using MessagePack;

namespace Backbone.Store.Model;

/// <summary>A key at one revision, as etcd's mvccpb.KeyValue.</summary>
[MessagePackObject]
public sealed class KeyValue
{
    [Key(0)] public required byte[] Key { get; init; }
    [Key(1)] public byte[] Value { get; init; } = [];
    [Key(2)] public long CreateRevision { get; init; }
    [Key(3)] public long ModRevision { get; init; }
    [Key(4)] public long Version { get; init; }
    [Key(5)] public long Lease { get; init; }
}
