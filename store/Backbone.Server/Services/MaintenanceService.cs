using Backbone.Store.Model;
using Grpc.Core;
using Etcd = Etcdserverpb;

namespace Backbone.Server.Services;

/// <summary>
/// The parts of etcd's Maintenance service that clients and etcdctl rely on: Status, Alarm,
/// HashKV (<c>etcdctl endpoint hashkv</c>) and Defragment (<c>etcdctl defrag</c>). Each answers
/// for this member alone, as etcd's do: with --cluster, etcdctl asks every member itself.
/// </summary>
public sealed class MaintenanceService(NodeContext node) : Etcd.Maintenance.MaintenanceBase
{
    /// <summary>The etcd API version we speak; etcdctl and clients gate features on it.</summary>
    public const string EtcdVersion = "3.5.0";

    public override Task<Etcd.StatusResponse> Status(Etcd.StatusRequest request, ServerCallContext context)
    {
        var status = node.Engine.Status;
        return Task.FromResult(new Etcd.StatusResponse
        {
            Header = node.Header(status.Revision),
            Version = EtcdVersion,
            DbSize = status.DbSizeBytes,
            DbSizeInUse = status.DbSizeBytes,
            Leader = node.Cluster.LeaderId,
            RaftIndex = (ulong)node.Cluster.RaftIndex,
            RaftTerm = node.Cluster.Term,
            RaftAppliedIndex = (ulong)node.Cluster.AppliedIndex,
        });
    }

    /// <summary>No alarms exist yet (no space quota): every alarm request answers with an empty list.</summary>
    public override Task<Etcd.AlarmResponse> Alarm(Etcd.AlarmRequest request, ServerCallContext context) =>
        Task.FromResult(new Etcd.AlarmResponse { Header = node.Header(node.Engine.Revision) });

    /// <summary>
    /// The hash of this member's history up to the asked revision (0 = current); members at the
    /// same revision and compaction point answer the same hash, and it is etcd's number for the
    /// same history. The header carries the revision current when the hash began.
    /// </summary>
    public override Task<Etcd.HashKVResponse> HashKV(Etcd.HashKVRequest request, ServerCallContext context)
    {
        HashKvResult result = node.Engine.HashKv(request.Revision, context.CancellationToken);
        return Task.FromResult(new Etcd.HashKVResponse
        {
            Header = node.Header(result.Revision),
            Hash = result.Hash,
            CompactRevision = result.CompactRevision,
        });
    }

    /// <summary>This member's maintenance pass (StoreEngine.DefragmentAsync); the data is untouched.</summary>
    public override async Task<Etcd.DefragmentResponse> Defragment(Etcd.DefragmentRequest request, ServerCallContext context)
    {
        await node.Engine.DefragmentAsync(context.CancellationToken).ConfigureAwait(false);
        return new Etcd.DefragmentResponse { Header = node.Header(node.Engine.Revision) };
    }
}
