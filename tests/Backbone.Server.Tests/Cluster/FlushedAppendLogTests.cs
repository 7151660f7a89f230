using Backbone.Server.Tests.Support;
using Backbone.Store.Raft;
using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// Known risk (b) of DotNext 6.12, closed at its cause: a follower acknowledges an AppendEntries
/// request once its append returns, so the append must not return before the entries are on
/// disk, where a restart finds them. DotNext's handler calls the append through
/// <see cref="IAuditTrail{TEntry}"/>, as these tests do.
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

    // DotNext's own log fails this: its append only wakes the background flusher, so the
    // checkpoint a restart trusts still ends before the entry (checked by dropping the flush).
    [Fact]
    public async Task AFollowersAppendReturnsOnlyOnceARestartWouldFindTheEntries()
    {
        Directory.CreateDirectory(raft);
        await using FlushedAppendLog log = Open(LogDir);
        IAuditTrail<IRaftLogEntry> asFollower = log;
        for (long index = 1; index <= 40; index++)
        {
            await asFollower.AppendAsync(LogEntryProducer<BinaryLogEntry>.Of(Entry(term: 1, content: (byte)index)), index, skipCommitted: true);
            Assert.True(LogRepair.LastEntry(LogDir) >= index,
                $"the append of entry {index} returned while the log's checkpoint ended at {LogRepair.LastEntry(LogDir)}: a crash now would lose an acknowledged entry");
        }

        // A crash now (the files as they are, the process gone): a restart holds every entry.
        CopyDirectory(raft, raft + "-crashed");
        await using FlushedAppendLog restarted = Open(RaftNode.LogDirectory(raft + "-crashed"));
        Assert.Equal(40, restarted.LastEntryIndex);
        Assert.Equal(40, await ContentAsync(restarted, 40));
    }

    [Fact]
    public async Task ABatchOfEntriesIsOnDiskWhenItsAppendReturns()
    {
        Directory.CreateDirectory(raft);
        await using FlushedAppendLog log = Open(LogDir);
        IAuditTrail<IRaftLogEntry> asFollower = log;
        BinaryLogEntry[] batch = [.. Enumerable.Range(1, 25).Select(i => Entry(term: 2, content: (byte)i))];
        await asFollower.AppendAsync(new LogEntryProducer<BinaryLogEntry>(batch), 1, skipCommitted: true);
        Assert.Equal(25, LogRepair.LastEntry(LogDir));

        // A heartbeat (no entries) changes nothing and returns.
        await asFollower.AppendAsync(new LogEntryProducer<BinaryLogEntry>(), 26, skipCommitted: true);
        Assert.Equal(25, log.LastEntryIndex);
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
