using Grpc.Core;
using Etcd = Etcdserverpb;

namespace Backbone.Server.Services;

/// <summary>etcd's Cluster service: one member (this node) until replication arrives.</summary>
public sealed class ClusterService(NodeContext node) : Etcd.Cluster.ClusterBase
{
    public override Task<Etcd.MemberListResponse> MemberList(Etcd.MemberListRequest request, ServerCallContext context)
    {
        Etcd.MemberListResponse response = new() { Header = node.Header(node.Engine.Revision) };
        Etcd.Member self = new() { ID = node.Identity.MemberId, Name = node.Identity.Name };
        self.ClientURLs.Add(node.ClientUrl);
        response.Members.Add(self);
        return Task.FromResult(response);
    }
}
