using Backbone.Api.Control;
using Backbone.Control.Networks;
using Backbone.Control.Services;
using Grpc.Core;

namespace Backbone.Server.Services;

/// <summary>
/// The Backbone control API (control.proto) over <see cref="NetworkStore"/>. Refusals are
/// <see cref="Backbone.Control.ControlException"/>s, mapped to status codes by <see cref="StoreErrorInterceptor"/>.
/// </summary>
public sealed partial class ControlService(NetworkStore networks, ServiceStore services, Backbone.Control.Containers.ContainerStore containers, Control.NodeTaskLogs logs)
    : Api.Control.Control.ControlBase
{
    // Named fields for the partial declarations, which do not see the primary constructor's parameters.
    private readonly Backbone.Control.Containers.ContainerStore containerStore = containers;
    private readonly Control.NodeTaskLogs taskLogs = logs;

    public override async Task<Service> CreateService(CreateServiceRequest request, ServerCallContext context)
    {
        var spec = new ServiceSpec
        {
            Name = request.Name,
            Replicas = request.HasReplicas ? request.Replicas : 1,
            Networks = [.. request.Networks],
            EndpointMode = request.EndpointMode.Length == 0 ? "vip" : request.EndpointMode,
            Aliases = [.. request.Aliases],
            Publish = [.. request.Publish],
            RestartCondition = request.RestartCondition.Length == 0 ? "any" : request.RestartCondition,
            Command = [.. request.Command],
            Constraints = [.. request.Constraints],
        };
        return ToProto(await services.CreateAsync(spec, context.CancellationToken).ConfigureAwait(false));
    }

    public override async Task<ListServicesResponse> ListServices(ListServicesRequest request, ServerCallContext context)
    {
        var response = new ListServicesResponse();
        response.Services.AddRange((await services.ListAsync(context.CancellationToken).ConfigureAwait(false)).Select(ToProto));
        return response;
    }

    public override async Task<Service> InspectService(ServiceRef request, ServerCallContext context) =>
        ToProto(await services.FindAsync(request.NameOrId, context.CancellationToken).ConfigureAwait(false));

    public override async Task<Service> ScaleService(ScaleServiceRequest request, ServerCallContext context) =>
        ToProto(await services.ScaleAsync(request.NameOrId, request.Replicas, context.CancellationToken).ConfigureAwait(false));

    public override async Task<Service> UpdateService(UpdateServiceRequest request, ServerCallContext context)
    {
        var update = new ServiceUpdate
        {
            Replicas = request.HasReplicas ? request.Replicas : null,
            RestartCondition = request.HasRestartCondition ? request.RestartCondition : null,
            Command = request.Command.Count > 0 ? [.. request.Command] : null,
            AddConstraints = [.. request.ConstraintAdd],
            RemoveConstraints = [.. request.ConstraintRm],
            Force = request.Force,
        };
        return ToProto(await services.UpdateAsync(request.NameOrId, update, context.CancellationToken).ConfigureAwait(false));
    }

    public override async Task<Service> RemoveService(ServiceRef request, ServerCallContext context) =>
        ToProto(await services.RemoveAsync(request.NameOrId, context.CancellationToken).ConfigureAwait(false));

    public override async Task<ServiceLogsResponse> ServiceLogs(ServiceLogsRequest request, ServerCallContext context)
    {
        IReadOnlyList<Backbone.Control.Scheduling.TaskView> tasks = await services.TasksAsync(request.NameOrId, context.CancellationToken).ConfigureAwait(false);
        return await taskLogs.GatherAsync(tasks, request.Tail, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<ListServiceTasksResponse> ListServiceTasks(ServiceRef request, ServerCallContext context)
    {
        var response = new ListServiceTasksResponse();
        foreach (Backbone.Control.Scheduling.TaskView view in await services.TasksAsync(request.NameOrId, context.CancellationToken).ConfigureAwait(false))
        {
            Backbone.Control.Scheduling.TaskRecord t = view.Task;
            var task = new ServiceTask
            {
                Id = t.Id, Name = t.Name, Slot = t.Slot, NodeId = t.NodeId, NodeName = t.NodeName, State = t.State, CreatedUnixMs = t.CreatedUnixMs,
                CurrentState = view.CurrentState,
                Message = view.Status?.Message is { Length: > 0 } said ? said : t.Message,
                Restarts = view.Status?.Restarts ?? 0,
                SinceUnixMs = view.Status?.SinceUnixMs ?? t.CreatedUnixMs,
                ServiceVersion = t.ServiceVersion,
            };
            task.Addresses.AddRange(t.Networks.Select(a => $"{a.NetworkName}={a.Address}"));
            response.Tasks.Add(task);
        }

        return response;
    }

    private static Service ToProto(ServiceRecord s)
    {
        var shown = new Service
        {
            Id = s.Id,
            Name = s.Name,
            Replicas = s.Replicas,
            EndpointMode = s.EndpointMode,
            RestartCondition = s.RestartCondition,
            CreatedUnixMs = s.CreatedUnixMs,
            UpdatedUnixMs = s.UpdatedUnixMs,
            Version = s.Version,
        };
        shown.Command.AddRange(s.Command);
        shown.Constraints.AddRange(s.Constraints);
        foreach (Backbone.Control.Services.ServiceNetwork n in s.Networks)
        {
            var network = new Api.Control.ServiceNetwork { NetworkId = n.NetworkId, NetworkName = n.NetworkName, Vip = n.Vip };
            network.Aliases.AddRange(n.Aliases);
            shown.Networks.Add(network);
        }

        shown.Ports.AddRange(s.Ports.Select(p => new Api.Control.PublishedPort { Name = p.Name, Target = p.Target, Protocol = p.Protocol }));
        return shown;
    }

    public override async Task<Network> CreateNetwork(CreateNetworkRequest request, ServerCallContext context)
    {
        var spec = new NetworkSpec
        {
            Name = request.Name,
            Driver = request.Driver.Length == 0 ? "overlay" : request.Driver,
            Subnet = request.Subnet,
            Gateway = request.Gateway,
            IpRange = request.IpRange,
            Mtu = request.Mtu,
            Encrypted = request.Encrypted,
            Attachable = request.Attachable,
            Internal = request.Internal,
        };
        return await DescribeAsync(await networks.CreateAsync(spec, context.CancellationToken).ConfigureAwait(false), context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<ListNetworksResponse> ListNetworks(ListNetworksRequest request, ServerCallContext context)
    {
        var response = new ListNetworksResponse();
        foreach (NetworkRecord network in await networks.ListAsync(context.CancellationToken).ConfigureAwait(false))
        {
            response.Networks.Add(await DescribeAsync(network, context.CancellationToken).ConfigureAwait(false));
        }

        return response;
    }

    public override async Task<Network> InspectNetwork(NetworkRef request, ServerCallContext context) =>
        await DescribeAsync(await networks.FindAsync(request.NameOrId, context.CancellationToken).ConfigureAwait(false), context.CancellationToken).ConfigureAwait(false);

    public override async Task<Network> RotateNetworkKeys(NetworkRef request, ServerCallContext context)
    {
        await networks.RotateKeysAsync(request.NameOrId, context.CancellationToken).ConfigureAwait(false);
        return await DescribeAsync(await networks.FindAsync(request.NameOrId, context.CancellationToken).ConfigureAwait(false), context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>The network as the API shows it, with its key ring's state when encrypted (never the keys).</summary>
    private async Task<Network> DescribeAsync(NetworkRecord network, CancellationToken cancellationToken)
    {
        Network shown = ToProto(network);
        if (network.Encrypted && await networks.KeyRingAsync(network, cancellationToken).ConfigureAwait(false) is { } ring)
        {
            shown.PrimaryKeyLamportTime = ring.Ring.Primary.LamportTime;
            shown.KeysRotatedUnixMs = ring.Ring.RotatedUnixMs;
        }

        return shown;
    }

    public override async Task<Network> RemoveNetwork(NetworkRef request, ServerCallContext context) =>
        ToProto(await networks.RemoveAsync(request.NameOrId, context.CancellationToken).ConfigureAwait(false));

    private static Network ToProto(NetworkRecord n) => new()
    {
        Id = n.Id,
        Name = n.Name,
        Driver = n.Driver,
        Subnet = n.Subnet,
        Gateway = n.Gateway,
        IpRange = n.IpRange,
        Vni = n.Vni,
        Mtu = n.Mtu,
        Encrypted = n.Encrypted,
        Attachable = n.Attachable,
        Internal = n.Internal,
        CreatedUnixMs = n.CreatedUnixMs,
    };
}
