using Backbone.Api.Control;
using Backbone.Client;

namespace Backbone.Cli.Commands;

/// <summary>A task or a standalone container, as exec needs it: its id (which names its namespace), its name and its node.</summary>
internal sealed record Runnable(string Id, string Name, string NodeName);

/// <summary>
/// Finds a task by the names an operator uses: <c>web.1</c> (service and slot), the full
/// <c>web.1.&lt;id&gt;</c>, the task id, or the start of it; or a standalone container by name or id.
/// </summary>
internal static class TaskLookup
{
    public static async Task<Runnable> FindAsync(BackboneClient client, string reference, CancellationToken cancellationToken)
    {
        ListContainersResponse containers = await ControlCalls.CallAsync(client, c => c.ListContainersAsync(new ListContainersRequest(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        if (containers.Containers.FirstOrDefault(c => c.Name == reference || c.Id == reference) is { } container)
        {
            return new Runnable(container.Id, container.Name, container.NodeName);
        }

        ServiceTask task = await FindTaskAsync(client, reference, cancellationToken).ConfigureAwait(false);
        return new Runnable(task.Id, task.Name, task.NodeName);
    }

    private static async Task<ServiceTask> FindTaskAsync(BackboneClient client, string reference, CancellationToken cancellationToken)
    {
        string[] parts = reference.Split('.');
        if (parts.Length is 2 or 3 && int.TryParse(parts[1], out int slot))
        {
            ListServiceTasksResponse tasks = await ControlCalls.CallAsync(client, c => c.ListServiceTasksAsync(new ServiceRef { NameOrId = parts[0] }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            return tasks.Tasks.FirstOrDefault(t => t.Slot == slot && (parts.Length == 2 || t.Id == parts[2]))
                ?? throw new ArgumentException(parts.Length == 2
                    ? $"service {parts[0]} has no task in slot {slot}: `backbone service ps {parts[0]}` lists them"
                    : $"no task {reference} (it may have been replaced): `backbone service ps {parts[0]}` lists the current ones");
        }

        ListServicesResponse services = await ControlCalls.CallAsync(client, c => c.ListServicesAsync(new ListServicesRequest(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        var matches = new List<ServiceTask>();
        foreach (Service service in services.Services)
        {
            ListServiceTasksResponse tasks = await ControlCalls.CallAsync(client, c => c.ListServiceTasksAsync(new ServiceRef { NameOrId = service.Id }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            matches.AddRange(tasks.Tasks.Where(t => t.Id.StartsWith(reference, StringComparison.Ordinal)));
        }

        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new ArgumentException($"no task or container \"{reference}\": name a task SERVICE.SLOT (web.1), by its full name, or by (the start of) its id (`backbone service ps SERVICE` lists them); a container by its name or id (`backbone container ls`)"),
            _ => throw new ArgumentException($"\"{reference}\" is the start of {matches.Count} task ids: give more of it"),
        };
    }
}
