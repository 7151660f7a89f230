using MessagePack;

namespace Backbone.Store.Model;

[MessagePackObject]
public sealed class DeleteRangeRequest
{
    [Key(0)] public required byte[] Key { get; init; }
    [Key(1)] public byte[] RangeEnd { get; init; } = [];
    [Key(2)] public bool PrevKv { get; init; }
}
