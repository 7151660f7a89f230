using Backbone.Store.Model;
using MessagePack;

namespace Backbone.Store.Commands;

/// <summary>
/// A deterministic state change, appended to the log and applied in log order on every replica.
/// Everything an apply needs is inside the command (lease ids are chosen before proposing), so
/// the same log gives the same revisions everywhere.
/// </summary>
[Union(0, typeof(WriteCommand))]
[Union(1, typeof(CompactCommand))]
[Union(2, typeof(LeaseGrantCommand))]
[Union(3, typeof(LeaseRevokeCommand))]
[Union(4, typeof(FenceCommand))]
public abstract class StoreCommand
{
    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    public static StoreCommand Deserialize(ReadOnlyMemory<byte> bytes) => MessagePackSerializer.Deserialize<StoreCommand>(bytes);
}

/// <summary>A Put, DeleteRange or Txn (exactly one set in <see cref="Op"/>).</summary>
[MessagePackObject]
public sealed class WriteCommand : StoreCommand
{
    [Key(0)] public required RequestOp Op { get; init; }
}

[MessagePackObject]
public sealed class CompactCommand : StoreCommand
{
    [Key(0)] public long Revision { get; init; }
}

[MessagePackObject]
public sealed class LeaseGrantCommand : StoreCommand
{
    [Key(0)] public long Id { get; init; }
    [Key(1)] public long TtlSeconds { get; init; }
}

[MessagePackObject]
public sealed class LeaseRevokeCommand : StoreCommand
{
    [Key(0)] public long Id { get; init; }
}

/// <summary>
/// Changes nothing. A replicated log proposes one after an ambiguous failure: once the fence is
/// applied, every earlier proposal that was ever going to commit has been applied, so one that
/// has not can be proposed again without applying twice.
/// </summary>
[MessagePackObject]
public sealed class FenceCommand : StoreCommand
{
    [Key(0)] public long Nonce { get; init; }
}
