namespace Backbone.Store.Model;

// The results of applied operations. Revision in each is the store revision the caller's response
// header reports: the current revision for reads, the revision after the write for writes.

public sealed record RangeResult(IReadOnlyList<KeyValue> Kvs, bool More, long Count, long Revision);

public sealed record PutResult(KeyValue? PrevKv, long Revision);

public sealed record DeleteRangeResult(long Deleted, IReadOnlyList<KeyValue> PrevKvs, long Revision);

public sealed record TxnResult(bool Succeeded, IReadOnlyList<OpResult> Responses, long Revision);

/// <summary>One response of a transaction: exactly one is set, matching the request op.</summary>
public sealed record OpResult(RangeResult? Range = null, PutResult? Put = null, DeleteRangeResult? DeleteRange = null, TxnResult? Txn = null);

public sealed record CompactResult(long Revision);

/// <summary>A fence was applied (nothing changed) at this revision.</summary>
public sealed record FenceResult(long Revision);

public sealed record LeaseGrantResult(long Id, long TtlSeconds, long Revision);

public sealed record LeaseRevokeResult(long Revision);

public sealed record LeaseTimeToLiveResult(long Id, long TtlSeconds, long GrantedTtlSeconds, IReadOnlyList<byte[]> Keys, long Revision);

/// <summary>
/// etcd's HashKV answer: the CRC-32C of the history up to the asked revision (see
/// <see cref="Mvcc.MvccStore.HashByRevision"/>), the compaction point it was taken above (-1 when
/// never compacted), and the current revision for the header.
/// </summary>
public sealed record HashKvResult(uint Hash, long CompactRevision, long Revision);
