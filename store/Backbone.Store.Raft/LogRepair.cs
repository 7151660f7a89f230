using System.Buffers.Binary;
using System.Text.Json;

namespace Backbone.Store.Raft;

/// <summary>
/// Heals a member whose Raft log holds, as committed, entries the rest of the cluster lost
/// (DotNext risk b, after every member crashed at once). DotNext never overwrites an entry at or
/// below its commit index, so the member never takes the leader's version of those entries, and
/// it appends the leader's later entries after them: its log then breaks Raft's log matching
/// (a later index and term agree with the leader's while an earlier entry does not), so lowering
/// the commit index alone would let the leader's next heartbeat commit the wrong entries again.
/// The repair therefore cuts the log back to what the store has applied: DotNext's persisted
/// commit index and last index both go back to that entry. Everything above it is then simply
/// missing, and the leader sends it again (from its log, or as a snapshot).
///
/// Why this is safe: the entries above the store's applied entry were never applied here (they
/// were held back until the leader confirmed them, <see cref="StoreStateMachine"/>), and every
/// entry at or below it is on the leader too (a follower applies only what the leader committed
/// and flushed; a leader only what DotNext committed, which is on a quorum's disks since
/// <see cref="FlushedAppendLog"/>, or what a round confirmed while settling). It is the state
/// DotNext itself leaves after a crash that lost unflushed entries.
///
/// Two steps, because DotNext must not be running when its files change: <see cref="Request"/>
/// (while serving, when the divergence is found) writes <c>raft/repair.json</c>; the next start
/// applies it in <see cref="ApplyPending"/> before the log is opened, then removes the request.
/// The server holds that start until a quorum of the other members holds every entry this log
/// holds (Backbone.Server's RepairGate): entries this member acknowledged before the divergence
/// was found may have counted towards a commit, and the cut deletes them here.
/// </summary>
public static class LogRepair
{
    private const string RequestFile = "repair.json";

    /// <summary>DotNext 6.12's <c>checkpoint</c> file in the log directory: version 1, the commit index, the last index (little-endian).</summary>
    private const string CheckpointFile = "checkpoint";

    /// <summary>What a repair must do at the next start.</summary>
    public sealed record Pending(long CommitIndex, long DivergedAt, string Reason, DateTimeOffset RequestedAt);

    /// <summary>Records that the next start must cut DotNext's log back to entry <paramref name="commitIndex"/> (committed and last).</summary>
    public static void Request(string raftDirectory, long commitIndex, long divergedAt, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(commitIndex);
        string path = Path.Combine(raftDirectory, RequestFile);
        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, new Pending(commitIndex, divergedAt, reason, DateTimeOffset.UtcNow));
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The repair waiting for the next start, if any.</summary>
    public static Pending? Load(string raftDirectory)
    {
        string path = Path.Combine(raftDirectory, RequestFile);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Pending>(File.ReadAllText(path)) ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new StoreCorruptException(path, $"cannot read the pending Raft log repair: {e.Message}. Delete the file to start without the repair", e);
        }
    }

    /// <summary>
    /// Applies a pending repair to the log in <paramref name="logDirectory"/> (DotNext's WAL
    /// location, not yet opened) and removes the request. Returns what was done, or null when
    /// nothing was pending. A commit index already at or below the requested one is left alone.
    /// </summary>
    public static string? ApplyPending(string raftDirectory, string logDirectory)
    {
        if (Load(raftDirectory) is not { } pending)
        {
            return null;
        }

        string done = CutBack(logDirectory, pending.CommitIndex);
        File.Delete(Path.Combine(raftDirectory, RequestFile));
        return $"repaired the Raft log (diverged from the leader's at entry {pending.DivergedAt}): {done}";
    }

    /// <summary>
    /// Cuts the (closed) log in <paramref name="logDirectory"/> back to entry <paramref name="index"/>
    /// now, committed and last; returns what it did. Also the last step of --force-new-cluster.
    /// </summary>
    public static string CutBack(string logDirectory, long index)
    {
        string checkpoint = Path.Combine(logDirectory, CheckpointFile);
        if (!File.Exists(checkpoint))
        {
            return "nothing to cut: the log has no checkpoint";
        }

        (long commit, long last) = CutBackCheckpoint(checkpoint, index);
        return last > index
            ? $"cut the log back from entry {last} (committed up to {commit}) to entry {index}, the last its store applied: the leader sends the rest again"
            : $"the log already ends at entry {last}, at or below {index}";
    }

    /// <summary>
    /// The last entry the (closed) log in <paramref name="logDirectory"/> holds, committed or not:
    /// everything this member may have acknowledged to a leader lies at or below it.
    /// </summary>
    public static long LastEntry(string logDirectory)
    {
        string checkpoint = Path.Combine(logDirectory, CheckpointFile);
        if (!File.Exists(checkpoint))
        {
            return 0;
        }

        using var file = new FileStream(checkpoint, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> content = stackalloc byte[CheckpointLength];
        (long commit, long last) = ReadCheckpoint(checkpoint, file, content);
        return Math.Max(commit, last);
    }

    /// <summary>DotNext 6.12 writes version 1: the version, the commit index, the last index.</summary>
    private const int CheckpointLength = 20;

    /// <summary>Reads the checkpoint's commit and last index into <paramref name="content"/>; an empty file (DotNext creates it so) holds none.</summary>
    private static (long Commit, long Last) ReadCheckpoint(string checkpoint, FileStream file, Span<byte> content)
    {
        int length = file.Read(content);
        if (length == 0)
        {
            return (0, 0); // nothing was ever committed
        }

        uint version = length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(content) : uint.MaxValue;
        if (version != 1 || length < CheckpointLength)
        {
            throw new StoreCorruptException(checkpoint,
                $"DotNext's log checkpoint is {length} bytes with version {version}: this build can repair version 1 (DotNext 6.12) only. "
                + "Replace the member instead: on a healthy manager run `backbone node rm NAME`, delete this member's whole data directory, "
                + "and join it again with a manager token (deleting only its Raft state would let it vote twice in a term)");
        }

        return (BinaryPrimitives.ReadInt64LittleEndian(content[4..]), BinaryPrimitives.ReadInt64LittleEndian(content[12..]));
    }

    /// <summary>Rewrites the checkpoint in place (same size, then fsync): commit and last index at most <paramref name="index"/>; returns the previous ones.</summary>
    private static (long Commit, long Last) CutBackCheckpoint(string checkpoint, long index)
    {
        using var file = new FileStream(checkpoint, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        Span<byte> content = stackalloc byte[CheckpointLength];
        (long commit, long last) = ReadCheckpoint(checkpoint, file, content);
        if (commit <= index && last <= index)
        {
            return (commit, last);
        }

        BinaryPrimitives.WriteInt64LittleEndian(content[4..], Math.Min(commit, index));
        BinaryPrimitives.WriteInt64LittleEndian(content[12..], Math.Min(last, index));
        file.Position = 0;
        file.Write(content);
        file.Flush(flushToDisk: true);
        return (commit, last);
    }
}
