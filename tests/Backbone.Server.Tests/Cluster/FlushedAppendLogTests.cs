using Backbone.Server.Tests.Support;
using Backbone.Store.Raft;
using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// Known risk (b) of DotNext 6.12, closed at its cause: a follower acknowledges an AppendEntries
/// request once its handler's append and commit return, so they must not return before the
/// entries are on disk, where a restart finds them. These tests make DotNext's handler's calls,
/// in its order: the append through <see cref="IAuditTrail{TEntry}"/>, then the commit up to the
/// leader's commit index (never past the last entry) through <see cref="IAuditTrail"/>.
/// </summary>
public sealed class FlushedAppendLogTests : IDisposable
{
    private readonly string raft = Path.Combine(Path.GetTempPath(), $"bbflushed-{Guid.NewGuid():n}");

    private string LogDir => RaftNode.LogDirectory(raft);

    public void Dispose()
    {
        foreach (string dir in new[] { raft, raft + "-crashed" })
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    // DotNext's own log fails this: its append only wakes the background flusher, and a commit
    // below the new entry does not wait for it, so the checkpoint a restart trusts still ends
    // before the entry (checked by dropping the flush).
    [Fact]
    public async Task AFollowerAnswersOnlyOnceARestartWouldFindTheEntries()
    {
        Directory.CreateDirectory(raft);
        await using FlushedAppendLog log = Open(LogDir);
        for (long index = 1; index <= 40; index++)
        {
            // The leader's commit index trails its newest entry, as in a pipelined round.
            await AnswerAppendEntriesAsync(log, index, [Entry(term: 1, content: (byte)index)], leaderCommit: index - 1);
            Assert.True(LogRepair.LastEntry(LogDir) >= index,
                $"the handler's append and commit of entry {index} returned while the log's checkpoint ended at {LogRepair.LastEntry(LogDir)}: a crash now would lose an acknowledged entry");
        }

        // A crash now (the files as they are, the process gone): a restart holds every entry.
        CopyDirectory(raft, raft + "-crashed");
        await using FlushedAppendLog restarted = Open(RaftNode.LogDirectory(raft + "-crashed"));
        Assert.Equal(40, restarted.LastEntryIndex);
        Assert.Equal(40, await ContentAsync(restarted, 40));
    }

    [Fact]
    public async Task ABatchOfEntriesIsOnDiskWhenTheFollowerAnswers()
    {
        Directory.CreateDirectory(raft);
        await using FlushedAppendLog log = Open(LogDir);
        BinaryLogEntry[] batch = [.. Enumerable.Range(1, 25).Select(i => Entry(term: 2, content: (byte)i))];
        await AnswerAppendEntriesAsync(log, 1, batch, leaderCommit: 0);
        Assert.Equal(25, LogRepair.LastEntry(LogDir));

        // A heartbeat (no entries) changes nothing, commits what the leader committed, and returns.
        await AnswerAppendEntriesAsync(log, 26, [], leaderCommit: 25);
        Assert.Equal(25, log.LastEntryIndex);
        Assert.Equal(25, log.LastCommittedEntryIndex);
    }

    // A heartbeat answers for the entries before it, so it flushes what an earlier append left
    // unflushed (here appended without the handler, as one whose flush was cancelled would be).
    // Fails when an empty append owes nothing: the checkpoint then often ends before the entry.
    [Fact]
    public async Task AHeartbeatAnswersOnlyOnceTheEntriesBeforeItAreOnDisk()
    {
        Directory.CreateDirectory(raft);
        await using FlushedAppendLog log = Open(LogDir);
        for (long index = 1; index <= 40; index++)
        {
            await log.AppendAsync(Entry(term: 4, content: (byte)index));
            await AnswerAppendEntriesAsync(log, index + 1, [], leaderCommit: index - 1);
            Assert.True(LogRepair.LastEntry(LogDir) >= index,
                $"a heartbeat after entry {index} returned while the log's checkpoint ended at {LogRepair.LastEntry(LogDir)}");
        }
    }

    /// <summary>What DotNext's AppendEntries handler does before it answers: append at <paramref name="startIndex"/>, then commit up to the leader's commit index, capped at the last entry.</summary>
    private static async Task AnswerAppendEntriesAsync(FlushedAppendLog log, long startIndex, BinaryLogEntry[] entries, long leaderCommit)
    {
        await ((IAuditTrail<IRaftLogEntry>)log).AppendAsync(new LogEntryProducer<BinaryLogEntry>(entries), startIndex, skipCommitted: true);
        await ((IAuditTrail)log).CommitAsync(Math.Min(leaderCommit, startIndex + entries.Length - 1));
    }

    private static FlushedAppendLog Open(string location) => new(RaftLogFixtures.Options(location), IStateMachine.CreateNoOp());

    private static BinaryLogEntry Entry(long term, byte content) => RaftLogFixtures.Entry(term, content);

    private static async Task<byte> ContentAsync(WriteAheadLog log, long index)
    {
        using WriteAheadLog.LogEntryReader entries = await log.ReadAsync(index, index);
        foreach (LogEntry entry in entries)
        {
            return (await entry.ToByteArrayAsync())[0];
        }

        throw new InvalidOperationException($"entry {index} is not in the log");
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }
}
