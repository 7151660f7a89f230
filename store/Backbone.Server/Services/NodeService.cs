using Backbone.Api.Peer;
using Backbone.Server.Cluster;
using Grpc.Core;
using Microsoft.Extensions.Hosting;

namespace Backbone.Server.Services;

/// <summary>Calls a node answers about itself (never passed on to a manager): <c>backbone swarm leave</c>.</summary>
public sealed class NodeService(INodeLeave leave, IHostApplicationLifetime lifetime) : Node.NodeBase
{
    /// <summary>Time for the answer to reach the caller before the node stops.</summary>
    private static readonly TimeSpan AnswerGrace = TimeSpan.FromMilliseconds(300);

    public override async Task<LeaveResponse> Leave(LeaveRequest request, ServerCallContext context)
    {
        string summary = await leave.LeaveAsync(context.CancellationToken).ConfigureAwait(false);
        _ = Task.Delay(AnswerGrace, CancellationToken.None).ContinueWith(_ => lifetime.StopApplication(), TaskScheduler.Default);
        return new LeaveResponse { Summary = summary };
    }
}
