using Grpc.Core;
using Etcd = Etcdserverpb;

namespace Backbone.Server.Services;

/// <summary>The parts of etcd's Maintenance service that clients and etcdctl rely on: Status and Alarm.</summary>
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
}
