using Backbone.Store;
using Backbone.Store.Raft;
using Etcdserverpb;
using Grpc.Core;

namespace Backbone.Server.Cluster;

/// <summary>
/// A manager's side of <c>backbone node demote</c>: the leader writes this member's
/// <see cref="WorkerRecord"/> while it is still a voter (so it arrives here), then removes it
/// from the voters. Once a second this member looks for that record in its own store; when it is
/// there and another manager's member list no longer has this member, it records the worker role
/// (with the managers to pass calls to) and restarts in place as a worker. Its store and Raft log
/// are moved aside at that start, not deleted.
/// </summary>
public static class DemotionWatcher
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(StoreEngine engine, RaftNode node, GrpcPeerLink link, string dataDir, NodeRestart restart, Action<string> note,
        CancellationToken stopping)
    {
        ulong self = node.Self.MemberId;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Period, stopping).ConfigureAwait(false);
                WorkerRecord? record = await WorkerRecord.ReadAsync(engine, self, linearizable: false, stopping).ConfigureAwait(false);
                if (record is null || record.PromotionPending)
                {
                    continue; // a manager, or a promoted worker whose promotion is not complete yet
                }

                if (await ManagersWithoutAsync(link, node, self, stopping).ConfigureAwait(false) is not { } managers)
                {
                    continue; // still a voter (the removal may be under way), or no other manager answers now
                }

                if (ClusterSettings.Update(dataDir, settings => settings with { Role = JoinRole.Worker, KnownMembers = managers, PromotionVoters = [] }) is null)
                {
                    return; // it left the cluster meanwhile
                }

                note($"demoted to worker: restarting without a vote; calls go to {string.Join(", ", managers)}");
                restart.Request("demoted to worker");
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (StoreException)
            {
                // The store is stopping or halted: look again next time.
            }
        }
    }

    /// <summary>The managers' client URLs as another manager lists them, when that list no longer has <paramref name="self"/>; else null.</summary>
    private static async Task<IReadOnlyList<string>?> ManagersWithoutAsync(GrpcPeerLink link, RaftNode node, ulong self, CancellationToken stopping)
    {
        var members = await node.MembersAsync(stopping).ConfigureAwait(false);
        foreach (string url in members.Select(m => m.Peer).Where(p => p.MemberId != self && !string.IsNullOrEmpty(p.ClientUrl)).Select(p => p.ClientUrl))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(CallTimeout);
            try
            {
                MemberListResponse list = await new Etcdserverpb.Cluster.ClusterClient(link.ChannelFor(url))
                    .MemberListAsync(new MemberListRequest(), cancellationToken: timeout.Token).ConfigureAwait(false);
                return list.Members.Any(m => m.ID == self) ? null : [.. list.Members.SelectMany(m => m.ClientURLs).Where(u => u.Length > 0)];
            }
            catch (Exception e) when (e is RpcException || (e is OperationCanceledException && !stopping.IsCancellationRequested))
            {
                // ask the next one
            }
        }

        return null;
    }
}
