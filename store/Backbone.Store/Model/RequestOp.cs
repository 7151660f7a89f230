using MessagePack;

namespace Backbone.Store.Model;

/// <summary>One operation of a transaction: exactly one of the four is set.</summary>
[MessagePackObject]
public sealed class RequestOp
{
    [Key(0)] public RangeRequest? Range { get; init; }
    [Key(1)] public PutRequest? Put { get; init; }
    [Key(2)] public DeleteRangeRequest? DeleteRange { get; init; }
    [Key(3)] public TxnRequest? Txn { get; init; }
}
