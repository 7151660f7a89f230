using MessagePack;

namespace Backbone.Store.Model;

[MessagePackObject]
public sealed class TxnRequest
{
    [Key(0)] public Compare[] Compare { get; init; } = [];
    [Key(1)] public RequestOp[] Success { get; init; } = [];
    [Key(2)] public RequestOp[] Failure { get; init; } = [];

    /// <summary>
    /// etcd's isTxnReadonly: every op of both branches is a range (a nested txn is not). Such a
    /// txn changes nothing whichever branch runs, so it is served as a read, without a log entry.
    /// </summary>
    public bool IsReadOnly() => Success.Concat(Failure).All(op => op.Range is not null);

    /// <summary>etcd's isTxnSerializable: every op of both branches is a serializable range (so a txn of compares alone is too).</summary>
    public bool IsSerializable() => Success.Concat(Failure).All(op => op.Range is { Serializable: true });
}
