using Backbone.Core.Metrics;
using Backbone.Store.Raft;

namespace Backbone.Server.Metrics;

/// <summary>
/// The store's state as gauges: revisions, size and leases of this node's copy and, on a Raft member, its term,
/// applied index, whether it leads and how many read indexes its lease answered. Each is a field the engine, DotNext or
/// the Raft node already keeps.
/// </summary>
public sealed class StoreMetrics(NodeContext context, RaftCommandLog? log) : IMetricsSource
{
    public void WriteTo(PrometheusWriter writer)
    {
        Backbone.Store.StoreStatus status = context.Engine.Status;
        writer.Gauge("backbone_store_revision", "The store's current revision on this node.", status.Revision);
        writer.Gauge("backbone_store_compact_revision", "The revision the store was last compacted at.", status.CompactRevision);
        writer.Gauge("backbone_store_db_size_bytes", "The store's size as etcd's Status reports it (dbSize: its log, begin to tail).", status.DbSizeBytes);
        writer.Gauge("backbone_store_leases", "Leases granted and not yet expired or revoked.", status.LeaseCount);
        if (log is null)
        {
            return; // standalone: no Raft
        }

        writer.Gauge("backbone_raft_term", "This member's Raft term.", context.Cluster.Term);
        writer.Gauge("backbone_raft_applied_index", "The last Raft entry this member applied to its store.", context.Cluster.AppliedIndex);
        writer.Gauge("backbone_raft_is_leader", "1 while this member is the Raft leader, else 0.", log.IsLeader ? 1 : 0);
        writer.Counter("backbone_raft_leased_read_indexes_total",
            "Read indexes this member answered as leader from its lease, without a replication round.", log.Node.LeaseReads);
        writer.Counter("backbone_raft_forced_rounds_total",
            "Replication rounds this member asked for as leader beside its heartbeats and appends: commit propagation, read confirmations, followers' read indexes.",
            log.Node.ForcedRounds);
        writer.Counter("backbone_raft_follower_read_rounds_total",
            "Of those, rounds forced for followers' read indexes: the follower did not yet know the index was committed.",
            log.Node.FollowerReadRounds);
        writer.Counter("backbone_raft_write_barrier_waits_total",
            "Calls (writes, reads, forwarded batches, followers' read indexes) that reached this member while named leader but not yet allowed to write (newly elected), and waited.",
            log.Node.WriteBarrierWaits);
    }
}
