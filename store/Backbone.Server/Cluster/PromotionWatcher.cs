using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Server.Cluster;

/// <summary>
/// A worker's side of <c>backbone node promote</c>: it reads its own <see cref="WorkerRecord"/>
/// through the managers once a second, and when a promotion is recorded there it writes its new
/// role into <c>cluster.json</c> (with the voters to start Raft with) and restarts in place as a
/// manager; that start asks the leader for its vote (<see cref="ClusterJoin.CompletePromotionAsync"/>).
/// </summary>
public static class PromotionWatcher
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(GrpcPeerLink link, string dataDir, ulong self, NodeRestart restart, Action<string> note, CancellationToken stopping)
    {
        // Serializable: a promotion seen a moment late costs nothing, and no read index per second.
        var request = new RangeRequest { Key = ByteString.CopyFrom(WorkerRecord.KeyOf(self)), Serializable = true };
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Period, stopping).ConfigureAwait(false);
                if (ClusterSettings.Load(dataDir) is not { } settings)
                {
                    return; // it left the cluster
                }

                foreach (string manager in settings.KnownMembers)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    timeout.CancelAfter(CallTimeout);
                    RangeResponse found;
                    try
                    {
                        found = await new KV.KVClient(link.ChannelFor(manager)).RangeAsync(request, cancellationToken: timeout.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is RpcException || (e is OperationCanceledException && !stopping.IsCancellationRequested))
                    {
                        continue; // that manager is down or has no leader: ask the next
                    }

                    if (found.Kvs.Count > 0 && WorkerRecord.TryDeserialize(found.Kvs[0].Value.Memory) is { PromotionPending: true } record)
                    {
                        if (ClusterSettings.Update(dataDir, current => current with { Role = JoinRole.Manager, PromotionVoters = record.PromoteTo }) is null)
                        {
                            return; // it left the cluster meanwhile
                        }

                        note($"promoted to manager: restarting with Raft (voters {string.Join(", ", record.PromoteTo)})");
                        restart.Request("promoted to manager");
                        return;
                    }

                    break; // one answer is the truth
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
