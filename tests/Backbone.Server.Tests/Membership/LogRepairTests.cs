using Backbone.Store;
using Backbone.Server.Tests.Support;
using Backbone.Store.Raft;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Backbone.Server.Tests.Membership;

/// <summary>
/// The repair of a member whose log holds, as committed, entries the cluster lost (DotNext risk
/// b): against DotNext's own write-ahead log, a committed entry cannot be replaced by a follower's
/// append, and after <see cref="LogRepair"/> cut the log back it is, while the entries at
/// or below the new commit index stay as they were.
/// </summary>
public sealed class LogRepairTests : IDisposable
{
    private readonly string raft = Path.Combine(Path.GetTempPath(), $"bbrepair-{Guid.NewGuid():n}");

    private string LogDir => RaftNode.LogDirectory(raft);

    public void Dispose() => Directory.Delete(raft, recursive: true);

    [Fact]
    public async Task CommittedEntryIsReplacedOnlyAfterTheRepair()
    {
        Directory.CreateDirectory(raft);
        await using (WriteAheadLog log = Open())
        {
            for (int i = 1; i <= 5; i++)
            {
                await log.AppendAsync(Entry(term: 1, content: (byte)i));
            }

            await log.CommitAsync(5);
            await log.FlushAsync();
        }

        // What DotNext does to a follower today: the leader's entry 3 (term 2) is skipped as committed.
        await using (WriteAheadLog log = Open())
        {
            await log.AppendAsync(LogEntryProducer<BinaryLogEntry>.Of(Entry(term: 2, content: 33)), startIndex: 3, skipCommitted: true);
            Assert.Equal(1, await TermAsync(log, 3));
        }

        LogRepair.Request(raft, commitIndex: 2, divergedAt: 3, reason: "test");
        Assert.NotNull(LogRepair.Load(raft));
        string? done = LogRepair.ApplyPending(raft, LogDir);
        Assert.Contains("from entry 5 (committed up to 5) to entry 2", done);
        Assert.Null(LogRepair.Load(raft));

        await using (WriteAheadLog log = Open())
        {
            // Cut back: a leader whose later entries happen to match in term (log matching broken
            // by the skipped entry) can no longer get its heartbeat accepted above the cut.
            Assert.Equal(2, log.LastCommittedEntryIndex);
            Assert.Equal(2, log.LastEntryIndex);
            Assert.Equal(1, await TermAsync(log, 2)); // below the cut nothing changed
            await log.AppendAsync(LogEntryProducer<BinaryLogEntry>.Of(Entry(term: 2, content: 33)), startIndex: 3, skipCommitted: true);
            Assert.Equal(2, await TermAsync(log, 3));
            Assert.Equal(3, log.LastEntryIndex);
            await log.CommitAsync(3);
            await log.FlushAsync();
        }

        await using (WriteAheadLog log = Open())
        {
            Assert.Equal(3, log.LastCommittedEntryIndex);
            Assert.Equal(2, await TermAsync(log, 3)); // the leader's entry survives a restart
        }
    }

    [Fact]
    public void NothingPendingDoesNothing()
    {
        Directory.CreateDirectory(raft);
        Assert.Null(LogRepair.ApplyPending(raft, LogDir));
    }

    [Fact]
    public void CheckpointOfAnUnknownFormatIsRefusedWithTheManualRepair()
    {
        Directory.CreateDirectory(LogDir);
        File.WriteAllBytes(Path.Combine(LogDir, "checkpoint"), [9, 0, 0, 0, 1, 2, 3]);
        LogRepair.Request(raft, commitIndex: 2, divergedAt: 3, reason: "test");
        var refused = Assert.Throws<StoreCorruptException>(() => LogRepair.ApplyPending(raft, LogDir));
        Assert.Contains("backbone node rm NAME", refused.Message);
        Assert.NotNull(LogRepair.Load(raft)); // still pending: nothing was changed
    }

    [Fact]
    public void CorruptRequestIsReportedNotIgnored()
    {
        Directory.CreateDirectory(raft);
        File.WriteAllText(Path.Combine(raft, "repair.json"), "{not json");
        var refused = Assert.Throws<StoreCorruptException>(() => LogRepair.ApplyPending(raft, LogDir));
        Assert.Contains("Delete the file", refused.Message);
    }

    private WriteAheadLog Open() => new(RaftLogFixtures.Options(LogDir), IStateMachine.CreateNoOp());

    private static BinaryLogEntry Entry(long term, byte content) => RaftLogFixtures.Entry(term, content);

    private static async Task<long> TermAsync(WriteAheadLog log, long index)
    {
        using WriteAheadLog.LogEntryReader entries = await log.ReadAsync(index, index);
        foreach (LogEntry entry in entries)
        {
            return entry.Term;
        }

        throw new InvalidOperationException($"entry {index} is not in the log");
    }
}
