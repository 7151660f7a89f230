using Backbone.Store;
using Backbone.Store.Raft;
using DotNext.Net.Cluster;

namespace Backbone.Server.Cluster;

/// <summary>
/// A Raft member's view: leader, term and indexes from DotNext; members with their identities.
/// DotNext knows every member by its peer address; the identity (id, name, client URL) comes
/// from the member's DotNext metadata when this node can read it, else from the member's
/// replicated <see cref="ManagerRecord"/>, matched by peer address, so a manager that is down
/// is still listed, and removable, by name. While it leads, this node writes the records missing
/// for members whose metadata it can read (clusters formed before the records existed).
/// </summary>
public sealed class RaftView : IClusterView
{
    /// <summary>How long a listing waits for the leader to confirm the records when this member's own state lacks one.</summary>
    private static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(2);

    private const int BackfillAttempts = 5;
    private static readonly TimeSpan BackfillPause = TimeSpan.FromSeconds(2);

    private readonly RaftNode node;
    private readonly StoreEngine engine;
    private int backfilling; // 1 while a backfill runs

    public RaftView(RaftNode node, StoreEngine engine)
    {
        this.node = node;
        this.engine = engine;
        node.LeaderChanged += () =>
        {
            if (node.IsLeader)
            {
                StartBackfill(BackfillAttempts);
            }
        };
        if (node.IsLeader)
        {
            StartBackfill(BackfillAttempts); // became leader before this view existed (a new cluster's first member)
        }
    }

    public ulong LeaderId => node.LeaderMemberId;

    public ulong Term => (ulong)Math.Max(0, node.Term);

    public long RaftIndex => node.LastIndex;

    public long AppliedIndex => node.AppliedIndex;

    public async Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken cancellationToken)
    {
        var members = new List<ClusterMember>();
        foreach ((RaftPeer peer, bool isLeader, _) in await ManagersAsync(cancellationToken).ConfigureAwait(false))
        {
            members.Add(new ClusterMember(peer.MemberId, peer.Name, "https://" + peer.PeerAddress, peer.ClientUrl, isLeader, false));
        }

        return members;
    }

    /// <summary>
    /// Every voter with its identity and DotNext's idea of its reachability. A member with neither
    /// readable metadata nor a record (a cluster formed before the records, the member down since)
    /// shows with id 0 and no name.
    /// </summary>
    public async Task<IReadOnlyList<(RaftPeer Peer, bool IsLeader, ClusterMemberStatus Status)>> ManagersAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<(RaftPeer Peer, bool IsLeader, ClusterMemberStatus Status)> members = await node.MembersAsync(cancellationToken).ConfigureAwait(false);
        if (members.All(m => m.Peer.MemberId != 0) && !node.IsLeader)
        {
            return members; // every identity is known from the metadata: nothing to fill, nothing to backfill
        }

        IReadOnlyList<(ManagerRecord Record, long ModRevision)> records = await ManagerRecord.ReadAllAsync(engine, linearizable: false, cancellationToken)
            .ConfigureAwait(false);
        if (members.Any(m => m.Peer.MemberId == 0 && Find(records, m.Peer.PeerAddress) is null))
        {
            // This member's state may not hold a record the leader has committed yet (it was just written).
            records = await ConfirmedRecordsAsync(cancellationToken).ConfigureAwait(false) ?? records;
        }

        if (node.IsLeader && members.Any(m => m.Peer.MemberId != 0 && !records.Any(r => r.Record.MemberId == m.Peer.MemberId)))
        {
            StartBackfill(1);
        }

        return [.. members.Select(m => (Fill(m.Peer, records), m.IsLeader, m.Status))];
    }

    /// <summary>The member's identity from its metadata, or else from the record at its peer address.</summary>
    private static RaftPeer Fill(RaftPeer peer, IReadOnlyList<(ManagerRecord Record, long ModRevision)> records)
    {
        if (peer.MemberId != 0)
        {
            return peer;
        }

        return Find(records, peer.PeerAddress)?.ToPeer(peer.PeerAddress) ?? peer;
    }

    /// <summary>The record at this peer address; the latest written if there are several (a stale one was not deleted).</summary>
    private static ManagerRecord? Find(IReadOnlyList<(ManagerRecord Record, long ModRevision)> records, string peerAddress) =>
        records.Where(r => ManagerRecord.SameAddress(r.Record.PeerAddress, peerAddress)).OrderByDescending(r => r.ModRevision).Select(r => r.Record).FirstOrDefault();

    /// <summary>The records confirmed with the leader, or null when that takes longer than <see cref="ConfirmTimeout"/> (no leader).</summary>
    private async Task<IReadOnlyList<(ManagerRecord Record, long ModRevision)>?> ConfirmedRecordsAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConfirmTimeout);
        try
        {
            return await ManagerRecord.ReadAllAsync(engine, linearizable: true, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StoreException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Starts a backfill now (a member was added without a record): this node must lead.</summary>
    public void BackfillSoon() => StartBackfill(BackfillAttempts);

    /// <summary>Writes, in the background, the records missing for members whose metadata this leader can read; a few attempts, while it leads.</summary>
    private void StartBackfill(int attempts)
    {
        if (Interlocked.Exchange(ref backfilling, 1) == 0)
        {
            _ = Task.Run(() => BackfillAsync(attempts));
        }
    }

    private async Task BackfillAsync(int attempts)
    {
        try
        {
            for (int attempt = 0; attempt < attempts && node.IsLeader; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(BackfillPause).ConfigureAwait(false);
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                if (await BackfillOnceAsync(timeout.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is StoreException or TimeoutException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Leadership lost, the node stopping, a slow quorum: the next leader, or the next listing on the leader, tries again.
        }
        finally
        {
            Volatile.Write(ref backfilling, 0);
        }
    }

    /// <summary>One pass; true when every member has a record afterwards.</summary>
    private async Task<bool> BackfillOnceAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<(RaftPeer Peer, bool IsLeader, ClusterMemberStatus Status)> members = await node.MembersAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<(ManagerRecord Record, long ModRevision)> records = await ManagerRecord.ReadAllAsync(engine, linearizable: true, cancellationToken)
            .ConfigureAwait(false);
        bool complete = true;
        foreach ((RaftPeer peer, _, _) in members)
        {
            if (peer.MemberId != 0 ? records.Any(r => r.Record.MemberId == peer.MemberId) : Find(records, peer.PeerAddress) is not null)
            {
                continue;
            }

            if (peer.MemberId == 0 || !node.IsLeader)
            {
                complete = false; // metadata unreadable now (the member is down): a later pass may read it
                continue;
            }

            await ManagerRecord.Of(peer).StoreIfAbsentAsync(engine, cancellationToken).ConfigureAwait(false);
        }

        return complete;
    }
}
