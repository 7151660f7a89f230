using System.Globalization;
using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backbone.Store.Raft;

/// <summary>
/// One member of the Raft group: DotNext's <see cref="RaftCluster"/> over TCP, its write-ahead
/// log and the store's state machine. Everything DotNext-specific stays in here; the command log
/// asks only "am I the leader", "who is", "replicate this", "what is committed".
/// </summary>
public sealed class RaftNode : IAsyncDisposable, StoreStateMachine.ISettleAccess
{
    private const string MemberIdKey = "backbone-member-id";
    private const string NameKey = "backbone-name";
    private const string ClientUrlKey = "backbone-client-url";

    private readonly RaftCluster cluster;
    private readonly FlushedAppendLog wal;
    private readonly MembershipStorage membership;
    private readonly ReadFences fences;
    private readonly ReadFences commitRounds; // rounds after commits, shared (PropagateCommit)
    private readonly LeaderLease lease;
    private readonly MetadataRefresh metadataRefresh;
    private readonly CancellationTokenSource stopping = new();

    /// <summary>Marks read fences in the log: not the store's (<see cref="ProposalBatch.CommandId"/>), so never applied.</summary>
    private const int ReadFenceCommandId = 0x42420002;
    private static readonly byte[] ReadFenceContent = [1]; // an empty entry would not be applied, and so never waited for
    private ulong leaderMemberId;
    private int learning; // 1 while a lookup of the leader's id runs

    private readonly long createdAt = TimeProvider.System.GetTimestamp();

    /// <summary>DotNext's timeout for one request to a member: a snapshot install is one request, so it ends within this.</summary>
    private readonly TimeSpan peerRequestTimeout;

    internal RaftNode(RaftOptions options, StoreStateMachine stateMachine, ILoggerFactory? loggers)
    {
        Options = options;
        StateMachine = stateMachine;
        Directory.CreateDirectory(options.Directory);
        wal = new FlushedAppendLog(new WriteAheadLog.Options
        {
            Location = LogDirectory(options.Directory),
            // The default (one 4 KiB page per chunk file) makes a batch of puts span many files;
            // fixed once the log exists.
            ChunkSize = 4 << 20,
            HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.Crc32,
        }, stateMachine);
        membership = new MembershipStorage(Path.Combine(options.Directory, MembershipFile));
        var config = new RaftCluster.TcpConfiguration(options.ListenEndPoint ?? options.PeerEndPoint)
        {
            PublicEndPoint = options.PeerEndPoint,
            ColdStart = options.Bootstrap,
            ConfigurationStorage = membership,
            LowerElectionTimeout = options.LowerElectionTimeoutMs,
            UpperElectionTimeout = options.UpperElectionTimeoutMs,
            // Heartbeats at a fifth of the election timeout, not DotNext's half: a follower then
            // tolerates four lost heartbeats before it starts an election.
            HeartbeatThreshold = 0.2,
            // A whole snapshot install is one DotNext request: shorter than the install (a store
            // dump, transfer and checkpoint: 0.3-1.7 s for a few MB on a busy machine) and the
            // leader resends it forever while the follower installs it again and again. The cost:
            // a paused (not dead) leader's peers wait this long for its answers, so electing its
            // successor takes about this long (docs/raft.md).
            RequestTimeout = TimeSpan.FromMilliseconds(Math.Max(options.LowerElectionTimeoutMs, 5_000)),
            GracefulShutdownTimeout = TimeSpan.FromMilliseconds(options.LowerElectionTimeoutMs),
            // A TLS handshake on a busy 2-core machine takes over 100 ms at times: a shorter
            // connect timeout failed replication rounds and deposed healthy leaders.
            ConnectTimeout = TimeSpan.FromMilliseconds(Math.Max(250, options.LowerElectionTimeoutMs / 2)),
            LoggerFactory = loggers ?? NullLoggerFactory.Instance,
            SslOptions = options.Certificate is { } certificate && options.ClusterCa is { } ca ? PeerTls.Create(certificate, ca) : null,
        };
        config.Metadata[MemberIdKey] = options.Self.MemberId.ToString(CultureInfo.InvariantCulture);
        config.Metadata[NameKey] = options.Self.Name;
        config.Metadata[ClientUrlKey] = options.Self.ClientUrl;
        cluster = new RaftCluster(config) { AuditTrail = wal };
        metadataRefresh = new MetadataRefresh(config.RequestTimeout);
        peerRequestTimeout = config.RequestTimeout;
        fences = new ReadFences(CommitFenceAsync);
        commitRounds = new ReadFences(async _ =>
        {
            await FullRoundAsync(stopping.Token).ConfigureAwait(false); // also renews the read lease
            return null;
        });
        lease = new LeaderLease(TimeSpan.FromMilliseconds(options.LowerElectionTimeoutMs / 2.0), TimeProvider.System);
        stateMachine.Attach(this);
    }

    /// <summary>The voters, as DotNext stores them, inside the member's raft/ directory.</summary>
    public const string MembershipFile = "members.bin";

    /// <summary>Where DotNext's write-ahead log lives inside the member's raft/ directory.</summary>
    public static string LogDirectory(string raftDirectory) => Path.Combine(raftDirectory, "log");

    /// <summary>The marks (term, content digest) of this node's log entries from..to, by index; entries behind the snapshot or past the end are absent.</summary>
    public async Task<IReadOnlyDictionary<long, EntryMark>> MarksAsync(long from, long to, CancellationToken cancellationToken)
    {
        var terms = new Dictionary<long, EntryMark>();
        to = Math.Min(to, wal.LastEntryIndex);
        if (from < 1 || from > to)
        {
            return terms;
        }

        using WriteAheadLog.LogEntryReader entries = await wal.ReadAsync(from, to, cancellationToken).ConfigureAwait(false);
        foreach (LogEntry entry in entries)
        {
            if (!entry.IsSnapshot)
            {
                terms[entry.Index] = await EntryMark.OfAsync(entry, cancellationToken).ConfigureAwait(false);
            }
        }

        return terms;
    }

    /// <summary>Where the leader's marks for a range come from (the command log asks the leader); set by the log.</summary>
    internal Func<long, long, CancellationToken, Task<IReadOnlyDictionary<long, EntryMark>?>>? LeaderMarksSource { get; set; }

    Task<IReadOnlyDictionary<long, EntryMark>> StoreStateMachine.ISettleAccess.MarksAsync(long from, long to, CancellationToken cancellationToken) =>
        MarksAsync(from, to, cancellationToken);

    Task<IReadOnlyDictionary<long, EntryMark>?> StoreStateMachine.ISettleAccess.LeaderMarksAsync(long from, long to, CancellationToken cancellationToken) =>
        LeaderMarksSource?.Invoke(from, to, cancellationToken) ?? Task.FromResult<IReadOnlyDictionary<long, EntryMark>?>(null);

    /// <summary>Where a read index comes from when this node does not lead (the command log asks the leader); set by the log.</summary>
    internal Func<CancellationToken, Task<long?>>? ReadIndexSource { get; set; }

    long StoreStateMachine.ISettleAccess.DotNextAppliedIndex => wal.LastAppliedIndex;

    long StoreStateMachine.ISettleAccess.LastLedTerm => Volatile.Read(ref lastLedTerm);

    private long lastLedTerm = -1; // the bootstrap leader leads term 0

    /// <summary>
    /// The term this node leads now, or -1. Set when DotNext makes it leader: DotNext raises the
    /// event holding its transition lock, so <c>cluster.Term</c> is that leadership's term then.
    /// </summary>
    private long leadingTerm = -1;

    /// <summary>
    /// The term to stamp on an entry this node appends as leader; false when it does not lead now.
    /// Never <c>cluster.Term</c> read at append time: DotNext checks leadership, then appends the
    /// entry as given, without a lock against stepping down. A leader paused and thawed learns the
    /// newer term and can still append, and the entry then carried the new leader's term at an
    /// index where the new leader has a different entry of that term. The new leader's log then
    /// "matched" there, the stale entry was never overwritten, and this member applied it
    /// (`PausedLeaderComesBackWithoutDivergence`, docs/raft.md). Stamped with the term it led, a
    /// late entry is an ordinary stale entry of an old term: overwritten by the new leader, or
    /// caught by the term check of <see cref="StoreStateMachine"/>.
    /// </summary>
    internal bool TryGetLeadingTerm(out long term)
    {
        term = Volatile.Read(ref leadingTerm);
        return term >= 0 && IsLeader && cluster.Term == term;
    }

    CancellationToken StoreStateMachine.ISettleAccess.Stopping => stopping.Token;

    Task<long?> StoreStateMachine.ISettleAccess.ReadIndexAsync(CancellationToken cancellationToken) =>
        ReadIndexSource?.Invoke(cancellationToken) ?? ConfirmLeadershipAsync(cancellationToken);

    ValueTask StoreStateMachine.ISettleAccess.WaitForDotNextApplyAsync(long index, CancellationToken cancellationToken) =>
        wal.WaitForApplyAsync(index, cancellationToken);

    ValueTask<WriteAheadLog.LogEntryReader> StoreStateMachine.ISettleAccess.ReadLogAsync(long from, long to, CancellationToken cancellationToken) =>
        wal.ReadAsync(from, to, cancellationToken);

    public RaftOptions Options { get; }

    internal StoreStateMachine StateMachine { get; }

    public RaftPeer Self => Options.Self;

    /// <summary>True while this node leads (its leadership token is live).</summary>
    public bool IsLeader => cluster.Leader is { IsRemote: false } && !cluster.LeadershipToken.IsCancellationRequested;

    /// <summary>
    /// Whether this node leads, once it may write. DotNext names a member leader as soon as it wins
    /// but keeps its leadership token cancelled (so <see cref="IsLeader"/> false) until the entries
    /// of earlier terms are committed under the new term: its write barrier. That takes two rounds,
    /// as DotNext 6.12 starts each follower after the new term's no-op entry, so its first
    /// AppendEntries always misses and is retried at the next heartbeat (a fifth of the election
    /// timeout). A caller that gave up on <see cref="IsLeader"/> then backed off for up to 200 ms
    /// with no leader change left to wake it: most of the time from an election to the first write
    /// after a failover (docs/benchmarks.md, session 18). So this waits for the barrier, for at most
    /// an election timeout: a leader that cannot commit for that long is losing its quorum (DotNext
    /// steps it down without naming another leader, so it still names itself until it hears of the
    /// next one: the bound keeps a caller from waiting for that). False at once while another
    /// member leads or none does, and at the next leader change.
    /// </summary>
    public Task<bool> WaitUntilLeadingAsync(CancellationToken cancellationToken)
    {
        if (IsLeader)
        {
            return CachedTrue;
        }

        return cluster.Leader is { IsRemote: false } ? WaitForWriteBarrierAsync(cancellationToken) : CachedFalse;
    }

    private static readonly Task<bool> CachedTrue = Task.FromResult(true);
    private static readonly Task<bool> CachedFalse = Task.FromResult(false);

    private async Task<bool> WaitForWriteBarrierAsync(CancellationToken cancellationToken)
    {
        Task change = NextLeaderChange;
        if (cluster.Leader is not { IsRemote: false })
        {
            return IsLeader; // lost before the change above was read
        }

        Interlocked.Increment(ref writeBarrierWaits);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        waiting.CancelAfter(Options.UpperElectionTimeoutMs);
        Task ready = cluster.WaitForLeadershipAsync(waiting.Token);
        try
        {
            await Task.WhenAny(ready, change).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await waiting.CancelAsync().ConfigureAwait(false);
            // Its outcome is read from IsLeader below; a failure (the node stopping, or losing its
            // quorum) must not surface as an unobserved task exception.
            _ = ready.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        return IsLeader;
    }

    /// <summary>Whether any leader is known right now.</summary>
    public bool HasLeader => cluster.Leader is not null;

    public long Term => cluster.Term;

    public long CommitIndex => wal.LastCommittedEntryIndex;

    public long LastIndex => wal.LastEntryIndex;

    public long AppliedIndex => wal.LastAppliedIndex;

    /// <summary>Completes once the log has applied up to <paramref name="index"/> (entries without store effects included).</summary>
    public Task WaitAppliedAsync(long index, CancellationToken cancellationToken) => StateMachine.WaitAppliedAsync(index, cancellationToken);

    /// <summary>Raised (on DotNext's thread) when the leader changes or is lost.</summary>
    public event Action? LeaderChanged;

    private TaskCompletionSource nextLeaderChange = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes at the next leader change (or loss of the leader) after it was read: a caller
    /// that cannot reach the leader it knows waits on it instead of asking again and again.
    /// </summary>
    public Task NextLeaderChange => Volatile.Read(ref nextLeaderChange).Task;

    /// <summary>
    /// The current leader's Backbone member id, 0 while none is known (for response headers and
    /// Status). Learned from the leader's metadata when it changes; if that lookup failed, the
    /// next read of this property starts another one.
    /// </summary>
    public ulong LeaderMemberId
    {
        get
        {
            ulong known = Volatile.Read(ref leaderMemberId);
            if (known == 0 && cluster.Leader is { IsRemote: true } leader && Interlocked.Exchange(ref learning, 1) == 0)
            {
                Task retry = LearnLeaderIdAsync(leader); // fire and forget: it handles its own failures
            }

            return known;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        cluster.LeaderChanged += (_, leader) =>
        {
            Volatile.Write(ref leaderMemberId, leader is { IsRemote: false } ? Self.MemberId : 0);
            if (leader is { IsRemote: false })
            {
                Volatile.Write(ref lastLedTerm, cluster.Term);
                Volatile.Write(ref leadingTerm, cluster.Term);
            }
            else
            {
                Volatile.Write(ref leadingTerm, -1);
            }

            if (leader is { IsRemote: true })
            {
                Task learning = LearnLeaderIdAsync(leader); // fire and forget: it handles its own failures
            }

            Interlocked.Exchange(ref nextLeaderChange, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            LeaderChanged?.Invoke();
        };
        if (Options.RecoverOnly)
        {
            // Alone for good: what this log holds is all there is. Commit all of it (as etcd's
            // --force-new-cluster does: an acknowledged write may be here uncommitted when the
            // leader that committed it is gone) and apply it now, with no leader to confirm it
            // (the state machine was live before the log existed: see RaftStore).
            // InitializeAsync first: it checks the log's hashes before anything is applied.
            await wal.InitializeAsync(cancellationToken).ConfigureAwait(false);
            await wal.CommitAsync(wal.LastEntryIndex, cancellationToken).ConfigureAwait(false);
            await wal.WaitForApplyAsync(wal.LastCommittedEntryIndex, cancellationToken).ConfigureAwait(false);
            return;
        }

        await wal.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await SeedConfigurationAsync(cancellationToken).ConfigureAwait(false);

        // DotNext forgets, in a restart, when it last heard from the leader, and would vote at
        // once: a leader's read lease counted on this member refusing votes for the lower bound
        // after it answered a round (LeaderLease). So it takes part in nothing until the lower
        // bound has passed since this node was made, which is after the process restarted.
        TimeSpan quiet = TimeSpan.FromMilliseconds(Options.LowerElectionTimeoutMs) - TimeProvider.System.GetElapsedTime(createdAt);
        if (quiet > TimeSpan.Zero)
        {
            await Task.Delay(quiet, cancellationToken).ConfigureAwait(false);
        }

        await cluster.StartAsync(cancellationToken).ConfigureAwait(false);
        started = true;
        StateMachine.MarkLive(); // what the replay held back is settled with the leader from now on
    }

    private bool started;

    /// <summary>Replaces the stored configuration with this member alone (recovery from a lost quorum; the node is not running).</summary>
    internal static async Task WriteLoneConfigurationAsync(RaftOptions options, CancellationToken cancellationToken)
    {
        string path = Path.Combine(options.Directory, MembershipFile);
        string fresh = path + ".new";
        File.Delete(fresh);
        using (var storage = new MembershipStorage(fresh))
        {
            await storage.AddVotersAsync([options.PeerEndPoint], cancellationToken).ConfigureAwait(false);
        }

        File.Move(fresh, path, overwrite: true); // all at once: a crash leaves the old file or the new one
    }

    /// <summary>The voters' peer addresses in this node's current configuration.</summary>
    public IReadOnlyList<EndPoint> VoterAddresses => [.. cluster.Members.Select(member => member.EndPoint)];

    /// <summary>A joining manager's first start: its configuration is the voters and itself (see <see cref="RaftOptions.InitialVoters"/>).</summary>
    private async Task SeedConfigurationAsync(CancellationToken cancellationToken)
    {
        if (Options.InitialVoters.Count == 0)
        {
            return;
        }

        if (await membership.IsEmptyAsync(cancellationToken).ConfigureAwait(false))
        {
            await membership.AddVotersAsync(Options.InitialVoters.Append(Options.PeerEndPoint), cancellationToken).ConfigureAwait(false);
        }

        // else a restart: the configuration came from the log since
    }

    /// <summary>Appends and replicates one entry of the term this node leads (<see cref="TryGetLeadingTerm"/>); completes when a quorum committed it.</summary>
    public async ValueTask ReplicateAsync(ReadOnlyMemory<byte> payload, long term, CancellationToken cancellationToken)
    {
        await cluster.ReplicateAsync(new BinaryLogEntry { Content = payload, Term = term, CommandId = ProposalBatch.CommandId }, cancellationToken)
            .ConfigureAwait(false);
        NoteCommittedInTerm(term);
        PropagateCommit();
    }

    /// <summary>
    /// Followers learn the commit index only from the leader's next AppendEntries, and DotNext
    /// sends one when an entry is appended or at the heartbeat (60 ms by default). A follower
    /// answers the writes it forwarded, and its watchers, only once it applies, so after a commit
    /// the leader starts a round at once. DotNext merges requests for a round into the next one
    /// it starts, so under load this costs nothing: the round that carries the next entries
    /// carries the commit index too. Commits share rounds as reads share fences (one in flight,
    /// the next forming: <see cref="ReadFences"/>); a whole round that starts after the commit,
    /// since one that had just started may carry the index from before it. Nothing waits for it.
    /// </summary>
    private void PropagateCommit()
    {
        if (cluster.Members.Count > 1)
        {
            _ = commitRounds.ConfirmAsync(CancellationToken.None); // never faults: ReadFences turns a failed round into null
        }
    }

    /// <summary>
    /// The latest term in which this node, as leader, saw an entry of that term committed (-1:
    /// none yet). Once a leader has committed an entry of its own term, its commit index covers
    /// every entry any earlier leader committed (Raft's leader completeness), so a read index
    /// needs only a confirmation of its leadership, not a new entry (<see cref="CommitFenceAsync"/>).
    /// </summary>
    private long committedInTerm = -1;

    private void NoteCommittedInTerm(long term)
    {
        long seen = Volatile.Read(ref committedInTerm);
        while (term > seen)
        {
            long was = Interlocked.CompareExchange(ref committedInTerm, term, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    /// <summary>
    /// Waits for one full replication round that starts after the call. Each follower answers it
    /// only after committing — and so flushing — up to the leader's commit index carried in that
    /// round. Entries this process committed are on a quorum's disks already (<see cref="FlushedAppendLog"/>);
    /// this is for the ones it cannot vouch for: those replayed at start-up, perhaps committed
    /// by DotNext's own unflushed acknowledgements before (known risk (b), docs/raft.md).
    /// </summary>
    public ValueTask ConfirmDurableAsync(CancellationToken cancellationToken) =>
        cluster.Members.Count <= 1 ? ValueTask.CompletedTask // alone: the leader flushed before committing, and that is the quorum
            : FullRoundAsync(cancellationToken);

    /// <summary>
    /// DotNext's <c>ForceReplicationAsync</c>, made to wait for a whole round that started after
    /// the call. Its wait reads the leader's round "valve", then queues with it; when the round
    /// loop flips the valve between the two (a round has just started), the wait is granted at
    /// once, before that round is answered. Such a synchronous success proves only that a round
    /// started after the call, so we wait once more: the second wait ends at that round's
    /// release or a later one, and a round is released only when a quorum answered it without a
    /// newer term (else the leader steps down and the wait fails with NotLeaderException). A round
    /// that ends with this node still leading the term it led before it extends its
    /// <see cref="LeaderLease"/>.
    /// </summary>
    private async ValueTask FullRoundAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref forcedRounds);
        bool leading = TryGetLeadingTerm(out long term);
        long start = lease.Now();
        ValueTask first = cluster.ForceReplicationAsync(cancellationToken);
        if (first.IsCompletedSuccessfully)
        {
            first.GetAwaiter().GetResult(); // consumed, as a ValueTask must be
            await cluster.ForceReplicationAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await first.ConfigureAwait(false);
        }

        // A member that refuses a resent snapshot answers the round without renewing its "heard
        // from the leader" mark (DotNext's InstallSnapshot handler renews it only for a snapshot
        // it takes): no lease from a round a snapshot send may have overlapped (an install is one
        // request, so it ends within the request timeout).
        long lastSend = StateMachine.LastSnapshotSendStarted;
        bool snapshotMayOverlap = lastSend != 0 && TimeProvider.System.GetElapsedTime(lastSend, start) < peerRequestTimeout;
        if (leading && !snapshotMayOverlap && TryGetLeadingTerm(out long now) && now == term)
        {
            lease.Extend(term, start);
        }
    }

    /// <summary>
    /// The leader's commit index once its leadership is confirmed (ReadIndex); null when this node
    /// is not the leader. Within its <see cref="LeaderLease"/> the commit index read now is the
    /// answer: no other leader can have been elected yet, so it covers every acknowledged write.
    /// Else a round (or fence) that starts after the call confirms it (<see cref="ReadFences"/>).
    /// </summary>
    public Task<long?> ConfirmLeadershipAsync(CancellationToken cancellationToken)
    {
        if (!TryGetLeadingTerm(out long term))
        {
            return Task.FromResult<long?>(null);
        }

        if (Volatile.Read(ref committedInTerm) == term)
        {
            // The commit index first, then the lease and the leadership: both held at a moment
            // after the index was read, so no other leader had committed anything it lacks.
            long commitIndex = wal.LastCommittedEntryIndex;
            if (lease.Holds(term) && TryGetLeadingTerm(out long now) && now == term)
            {
                Interlocked.Increment(ref leaseReads);
                return Task.FromResult<long?>(commitIndex);
            }
        }

        return fences.ConfirmAsync(cancellationToken);
    }

    private long leaseReads;

    /// <summary>Read indexes this node answered from its lease, without a round (for tests and metrics).</summary>
    public long LeaseReads => Volatile.Read(ref leaseReads);

    private long forcedRounds;

    /// <summary>Replication rounds this node forced as leader, beside its heartbeats (for tests and metrics).</summary>
    public long ForcedRounds => Volatile.Read(ref forcedRounds);

    private long writeBarrierWaits;

    /// <summary>Calls (a request, a forwarded batch, a shared read index) that waited for this node's write barrier (for tests and metrics).</summary>
    public long WriteBarrierWaits => Volatile.Read(ref writeBarrierWaits);

    private long followerReadRounds;

    /// <summary>Rounds this node forced as leader for followers' read indexes (for tests and metrics).</summary>
    public long FollowerReadRounds => Volatile.Read(ref followerReadRounds);

    /// <summary>
    /// A read index for a follower that asked (ReadIndex over the peer link): the confirmed commit
    /// index, or null when this node does not lead. The follower applies up to the index only
    /// once it learns that it is committed, so when the index is beyond the follower's commit
    /// index (<paramref name="followerCommitIndex"/>, sent with the request) a round tells it now
    /// rather than at the next heartbeat. Otherwise no round: reads with no write between them
    /// cost no member anything. Durability needs none either: every committed entry is on a
    /// quorum's disks (<see cref="FlushedAppendLog"/>).
    /// </summary>
    public async Task<long?> ReadIndexForFollowerAsync(long followerCommitIndex, CancellationToken cancellationToken)
    {
        // A follower asks as soon as it hears from a new leader, often within its write barrier.
        long? index = await WaitUntilLeadingAsync(cancellationToken).ConfigureAwait(false)
            ? await ConfirmLeadershipAsync(cancellationToken).ConfigureAwait(false)
            : null;
        if (index > followerCommitIndex)
        {
            Interlocked.Increment(ref followerReadRounds);
            await FullRoundAsync(cancellationToken).ConfigureAwait(false);
        }

        return index;
    }

    /// <summary>
    /// Proves this node still leads after the call and returns its commit index then (ReadIndex).
    /// Once it has committed an entry of its term, one replication round does it: a round whose
    /// requests were all sent after the call and that a majority answered without a newer term
    /// (<see cref="FullRoundAsync"/>; else DotNext steps down and the wait fails). Before that,
    /// it commits a fence entry (ignored by the state machine) of its term: its commit index may
    /// still lag what the previous leader committed. A round costs no log write on any member; a
    /// fence costs an append and a flush on each.
    /// </summary>
    private async Task<long?> CommitFenceAsync(CancellationToken cancellationToken)
    {
        if (!TryGetLeadingTerm(out long term))
        {
            return null;
        }

        if (Volatile.Read(ref committedInTerm) == term)
        {
            await FullRoundAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await cluster.ReplicateAsync(new BinaryLogEntry { Content = ReadFenceContent, Term = term, CommandId = ReadFenceCommandId }, cancellationToken)
                .ConfigureAwait(false);
            NoteCommittedInTerm(term);
            PropagateCommit();
        }

        // Still leading the term the fence was appended in: a node deposed and elected again
        // meanwhile could return a commit index behind what the leader in between acknowledged.
        return TryGetLeadingTerm(out long now) && now == term ? wal.LastCommittedEntryIndex : null;
    }

    /// <summary>The current leader as a <see cref="RaftPeer"/>, waiting up to the token for one to be elected.</summary>
    public async Task<RaftPeer?> GetLeaderAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (cluster.Leader is { } leader)
            {
                if (!leader.IsRemote)
                {
                    return Self;
                }

                try
                {
                    return ToPeer(leader, await leader.GetMetadataAsync(false, cancellationToken).ConfigureAwait(false));
                }
                catch (Exception e) when (e is MemberUnavailableException or IOException or TimeoutException)
                {
                    // Leader unreachable right now: an election is probably coming; look again.
                }
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>Every voter with its Backbone identity (unknown metadata shows as id 0).</summary>
    public async Task<IReadOnlyList<(RaftPeer Peer, bool IsLeader, ClusterMemberStatus Status)>> MembersAsync(CancellationToken cancellationToken)
    {
        var members = new List<(RaftPeer, bool, ClusterMemberStatus)>();
        foreach (RaftClusterMember member in cluster.Members)
        {
            IReadOnlyDictionary<string, string> metadata;
            try
            {
                metadata = await member.GetMetadataAsync(false, cancellationToken).ConfigureAwait(false);
                if (member.IsRemote)
                {
                    metadataRefresh.Touch(member, stopping.Token);
                }
            }
            catch (Exception e) when (e is MemberUnavailableException or IOException or TimeoutException)
            {
                metadata = new Dictionary<string, string>();
            }

            members.Add((ToPeer(member, metadata), member.IsLeader, member.Status));
        }

        return members;
    }

    /// <summary>Adds a voter (leader only): DotNext catches it up first, then commits the new configuration.</summary>
    public Task<bool> AddMemberAsync(EndPoint peer, CancellationToken cancellationToken) => cluster.AddMemberAsync(peer, cancellationToken);

    public Task<bool> RemoveMemberAsync(EndPoint peer, CancellationToken cancellationToken) => cluster.RemoveMemberAsync(peer, cancellationToken);

    /// <summary>
    /// Stops leading and stays out of elections (DotNext's standby: it still replicates and
    /// votes, but never stands): the others elect a leader among themselves. A leader that simply
    /// resigns here wins the next election nearly every time (its peers still count its last
    /// heartbeat and refuse each other's pre-votes), so a hand-over needs this.
    /// </summary>
    public async Task<bool> StandByAsync(CancellationToken cancellationToken) => await cluster.EnableStandbyModeAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Takes part in elections again after <see cref="StandByAsync"/>.</summary>
    public async Task<bool> ResumeCandidacyAsync(CancellationToken cancellationToken) => await cluster.RevertToNormalModeAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        if (started)
        {
            await cluster.StopAsync().ConfigureAwait(false);
            await cluster.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            cluster.Dispose(); // never started (a recovery pass): nothing to stop
        }

        await wal.DisposeAsync().ConfigureAwait(false); // RaftCluster does not dispose its audit trail
        membership.Dispose();
        stopping.Dispose();
    }

    private async Task LearnLeaderIdAsync(RaftClusterMember leader)
    {
        try
        {
            using var timeout = new CancellationTokenSource(Options.RequestTimeout);
            // Asked afresh, not from DotNext's cache (kept for the life of this process): the leader
            // may have restarted since with another client URL (client TLS turned on or off), and
            // followers reach the leader by that URL (GetLeaderAsync reads the cache this refreshes).
            RaftPeer peer = ToPeer(leader, await leader.GetMetadataAsync(true, timeout.Token).ConfigureAwait(false));
            if (ReferenceEquals(cluster.Leader, leader))
            {
                Volatile.Write(ref leaderMemberId, peer.MemberId);
            }
        }
        catch (Exception e) when (e is MemberUnavailableException or IOException or TimeoutException or OperationCanceledException)
        {
            // Unreachable: the next leader change, or the next read of LeaderMemberId, tries again.
        }
        finally
        {
            Volatile.Write(ref learning, 0);
        }
    }

    private RaftPeer ToPeer(IClusterMember member, IReadOnlyDictionary<string, string> metadata) => new(
        metadata.TryGetValue(MemberIdKey, out string? id) && ulong.TryParse(id, CultureInfo.InvariantCulture, out ulong memberId) ? memberId : 0,
        metadata.GetValueOrDefault(NameKey) ?? "",
        member.EndPoint.ToString() ?? "",
        metadata.GetValueOrDefault(ClientUrlKey) ?? "");
}
