using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Store.Raft;

/// <summary>
/// The snapshot DotNext sends to a member that is behind the truncated log. It names the entry
/// the last checkpoint covers (<see cref="Index"/>, <see cref="Term"/>); its bytes are the whole
/// store as it was at the first send (<see cref="Snapshots.SnapshotFormat"/>), which holds at
/// least that entry. The receiver's store then skips the entries it already holds, by position.
/// </summary>
/// <remarks>
/// The store is dumped once per snapshot, to a file, and every send streams that file: DotNext
/// sends a snapshot again on every replication round until the member accepts one, and a member
/// that installed it already rejects it (its commit index is not below the snapshot's), so the
/// leader may send the same snapshot dozens of times a second. A dump per send (20-60 a second,
/// ~30 ms each under the apply gate, measured) cut the leader's writes to a few dozen a second
/// while a member was being caught up. The file goes
/// when a newer snapshot replaces this one (<see cref="Retire"/>); a send that started before
/// keeps reading it (it is opened with <see cref="FileShare.Delete"/>).
/// </remarks>
/// <param name="resent">Called when a send of this snapshot begins and it was sent before (see <see cref="InstallingOnce"/>).</param>
/// <param name="sending">Called whenever a send of this snapshot begins (the leader's read lease pauses around sends).</param>
internal sealed class StoreSnapshot(SnapshotDescriptor descriptor, StoreApplier applier, string directory, Action? resent = null, Action? sending = null) : ISnapshot
{
    /// <summary>Files of this kind left by a process that died mid-send are removed at start-up.</summary>
    public const string FilePattern = "outgoing-*.snap";

    private readonly Lock gate = new();
    private Task<string>? dump;
    private bool retired;
    private long firstSent; // Environment.TickCount64 when a send first began, 0 before
    private int sends;

    public long Index => descriptor.Index;

    public long Term => descriptor.Term;

    bool IDataTransferObject.IsReusable => true;

    long? IDataTransferObject.Length => null;

    int? IRaftLogEntry.CommandId => null;

    /// <summary>
    /// Whether exactly one send of this snapshot began, less than <paramref name="span"/> ago: a
    /// member may be installing it. A second send means the first failed or its member already
    /// holds it and refuses it again (DotNext then resends it round after round until a newer
    /// snapshot comes): holding this one back any longer only prolongs that.
    /// </summary>
    public bool InstallingOnce(TimeSpan span)
    {
        long first = Volatile.Read(ref firstSent);
        return Volatile.Read(ref sends) == 1 && Environment.TickCount64 - first < span.TotalMilliseconds;
    }

    /// <summary>A newer snapshot replaced this one: its dump file goes now (sends in flight keep reading it), later sends dump for themselves.</summary>
    public void Retire()
    {
        Task<string>? made;
        lock (gate)
        {
            retired = true;
            made = dump;
            dump = null;
        }

        if (made is { IsCompletedSuccessfully: true })
        {
            TryDelete(made.Result);
        }
        else
        {
            made?.ContinueWith(static (t, _) => TryDelete(t.Result), null, CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    async ValueTask IDataTransferObject.WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
    {
        sending?.Invoke();
        Interlocked.CompareExchange(ref firstSent, Environment.TickCount64, 0);
        if (Interlocked.Increment(ref sends) > 1)
        {
            resent?.Invoke();
        }

        Task<string>? shared;
        lock (gate)
        {
            if (!retired && (dump is null || dump.IsFaulted || dump.IsCanceled))
            {
                dump = Task.Run(DumpAsync, CancellationToken.None); // not the caller's token: other sends share it
            }

            shared = retired ? null : dump;
        }

        Task<string> made = shared ?? Task.Run(DumpAsync, CancellationToken.None);
        string path;
        try
        {
            path = await made.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (shared is null)
        {
            _ = made.ContinueWith(static t => TryDelete(t.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }

        FileStream input;
        try
        {
            input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException) when (shared is not null)
        {
            // Retired while this send waited for the dump: a dump of its own.
            shared = null;
            path = await Task.Run(DumpAsync, CancellationToken.None).ConfigureAwait(false);
            input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        }

        try
        {
            await using (input.ConfigureAwait(false))
            {
                await writer.CopyFromAsync(input, null, token).ConfigureAwait(false);
            }
        }
        finally
        {
            if (shared is null)
            {
                TryDelete(path); // a send of a retired snapshot: its own dump
            }
        }
    }

    bool IDataTransferObject.TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = default;
        return false;
    }

    /// <summary>Writes the whole store to a new file (the apply gate is held meanwhile: a local write, not a network transfer).</summary>
    private async Task<string> DumpAsync()
    {
        string path = Path.Combine(directory, $"outgoing-{Index}-{Guid.NewGuid():n}.snap");
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            applier.WriteSnapshot(file);
        }
        catch
        {
            TryDelete(path);
            throw;
        }

        return path;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // best effort: start-up removes what is left
        }
        catch (UnauthorizedAccessException)
        {
            // same
        }
    }
}
