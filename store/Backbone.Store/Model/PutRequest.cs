using MessagePack;

namespace Backbone.Store.Model;

[MessagePackObject]
public sealed class PutRequest
{
    [Key(0)] public required byte[] Key { get; init; }
    [Key(1)] public byte[] Value { get; init; } = [];
    [Key(2)] public long Lease { get; init; }
    [Key(3)] public bool PrevKv { get; init; }
    [Key(4)] public bool IgnoreValue { get; init; }
    [Key(5)] public bool IgnoreLease { get; init; }
}
