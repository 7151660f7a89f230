namespace Backbone.Store.Raft;

/// <summary>
/// One client command on its way through the Raft log: which node proposed it (its member id)
/// and that node's sequence number, so the proposer can match the applied entry to the waiting
/// caller. Every node applies the same command and computes the same result; only the proposer
/// answers with it.
/// </summary>
public readonly record struct Proposal(ulong Origin, long Sequence, ReadOnlyMemory<byte> Command);
