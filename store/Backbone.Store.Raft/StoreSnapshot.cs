using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Store.Raft;

/// <summary>
/// The snapshot DotNext sends to a member that is behind the truncated log. It names the entry
/// the last checkpoint covers (<see cref="Index"/>, <see cref="Term"/>); its bytes are the whole
/// store as it is when sent (<see cref="Snapshots.SnapshotFormat"/>), which holds at least that
/// entry. The receiver's store then skips the entries it already holds, by position.
/// Immutable and reusable: several followers may read it at once, each gets its own dump.
/// </summary>
internal sealed class StoreSnapshot(SnapshotDescriptor descriptor, StoreApplier applier, string directory) : ISnapshot
{
    public long Index => descriptor.Index;

    public long Term => descriptor.Term;

    bool IDataTransferObject.IsReusable => true;

    long? IDataTransferObject.Length => null;

    int? IRaftLogEntry.CommandId => null;

    async ValueTask IDataTransferObject.WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
    {
        // Dumped to a file first, so the apply gate is held for a local write, not a network transfer.
        string path = Path.Combine(directory, $"outgoing-{Guid.NewGuid():n}.snap");
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await Task.Run(() => applier.WriteSnapshot(file), token).ConfigureAwait(false);
            }

            await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            await writer.CopyFromAsync(input, null, token).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }
    }

    bool IDataTransferObject.TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = default;
        return false;
    }
}
