using Backbone.Api.Control;
using Backbone.Control.Containers;
using Backbone.Control.Scheduling;
using Backbone.Server.Cluster;
using Grpc.Core;

namespace Backbone.Server.Services;

/// <summary>Standalone containers.</summary>
public sealed partial class ControlService
{
    public override async Task<Container> RunContainer(RunContainerRequest request, ServerCallContext context)
    {
        var spec = new ContainerRunSpec
        {
            Name = request.Name,
            Networks = [.. request.Networks],
            Aliases = [.. request.Aliases],
            Command = [.. request.Command],
            RestartCondition = request.RestartCondition.Length == 0 ? "none" : request.RestartCondition,
        };

        // "The node you talk to": a worker's proxy says which worker that was.
        (string nodeId, string nodeName) = (taskLogs.SelfId, taskLogs.SelfName);
        if (context.RequestHeaders.GetValue(ManagerProxy.OriginNodeHeader) is { } origin && origin.Split(' ') is [{ Length: > 0 } id, { Length: > 0 } name])
        {
            (nodeId, nodeName) = (id, name);
        }

        return ToProto(await containerStore.RunAsync(spec, nodeId, nodeName, context.CancellationToken).ConfigureAwait(false), null);
    }

    public override async Task<ListContainersResponse> ListContainers(ListContainersRequest request, ServerCallContext context)
    {
        var response = new ListContainersResponse();
        response.Containers.AddRange((await containerStore.ListAsync(context.CancellationToken).ConfigureAwait(false)).Select(c => ToProto(c.Container, c.Status)));
        return response;
    }

    public override async Task<Container> RemoveContainer(ContainerRef request, ServerCallContext context) =>
        ToProto(await containerStore.RemoveAsync(request.NameOrId, context.CancellationToken).ConfigureAwait(false), null);

    private static Container ToProto(ContainerRecord c, TaskStatusRecord? status)
    {
        var shown = new Container
        {
            Id = c.Id,
            Name = c.Name,
            NodeId = c.NodeId,
            NodeName = c.NodeName,
            RestartCondition = c.RestartCondition,
            CreatedUnixMs = c.CreatedUnixMs,
            State = status?.State ?? "created",
            Message = status?.Message ?? "",
        };
        shown.Addresses.AddRange(c.Networks.Select(n => $"{n.NetworkName}={n.Address}"));
        shown.Aliases.AddRange(c.Networks.SelectMany(n => n.Aliases).Distinct());
        shown.Command.AddRange(c.Command);
        return shown;
    }
}
