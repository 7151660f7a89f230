using Backbone.Server.Cluster;
using Grpc.Core;
using Etcd = Etcdserverpb;

namespace Backbone.Server.Services;

/// <summary>etcd's Cluster service: MemberList from the cluster view (this node alone when standalone).</summary>
public sealed class ClusterService(NodeContext node) : Etcd.Cluster.ClusterBase
{
    public override async Task<Etcd.MemberListResponse> MemberList(Etcd.MemberListRequest request, ServerCallContext context)
    {
        Etcd.MemberListResponse response = new() { Header = node.Header(node.Engine.Revision) };
        foreach (ClusterMember member in await node.Cluster.MembersAsync(context.CancellationToken).ConfigureAwait(false))
        {
            Etcd.Member m = new() { ID = member.MemberId, Name = member.Name, IsLearner = member.IsLearner };
            if (member.PeerUrl.Length > 0)
            {
                m.PeerURLs.Add(member.PeerUrl);
            }

            if (member.ClientUrl.Length > 0)
            {
                m.ClientURLs.Add(member.ClientUrl);
            }

            response.Members.Add(m);
        }

        return response;
    }
}
