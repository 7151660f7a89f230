using Backbone.Api.Control;
using Backbone.Server.Control;
using Grpc.Core;

namespace Backbone.Server.Services;

/// <summary>Every node's own task logs, for the manager that gathers `service logs`.</summary>
public sealed class TaskLogsService(NodeTaskLogs logs) : TaskLogs.TaskLogsBase
{
    public override Task<ReadTaskLogsResponse> Read(ReadTaskLogsRequest request, ServerCallContext context)
    {
        var response = new ReadTaskLogsResponse();
        response.Tasks.AddRange(logs.ReadLocal(request.TaskIds, request.Tail));
        return Task.FromResult(response);
    }
}
