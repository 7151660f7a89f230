using MessagePack;

namespace Backbone.Store.Model;

public enum CompareResult
{
    Equal = 0,
    Greater = 1,
    Less = 2,
    NotEqual = 3,
}

public enum CompareTarget
{
    Version = 0,
    Create = 1,
    Mod = 2,
    Value = 3,
    Lease = 4,
}

/// <summary>
/// One guard of a transaction. It holds for a range only when it holds for every key in it; a
/// missing key compares as zeros, except on Value, where a missing key always fails (as etcd).
/// </summary>
[MessagePackObject]
public sealed class Compare
{
    [Key(0)] public CompareResult Result { get; init; }
    [Key(1)] public CompareTarget Target { get; init; }
    [Key(2)] public required byte[] Key { get; init; }
    [Key(3)] public byte[] RangeEnd { get; init; } = [];
    /// <summary>The number compared for Version, Create, Mod and Lease targets.</summary>
    [Key(4)] public long Number { get; init; }
    /// <summary>The bytes compared for the Value target.</summary>
    [Key(5)] public byte[] Value { get; init; } = [];
}
