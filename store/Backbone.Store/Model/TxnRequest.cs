using MessagePack;

namespace Backbone.Store.Model;

[MessagePackObject]
public sealed class TxnRequest
{
    [Key(0)] public Compare[] Compare { get; init; } = [];
    [Key(1)] public RequestOp[] Success { get; init; } = [];
    [Key(2)] public RequestOp[] Failure { get; init; } = [];
}
