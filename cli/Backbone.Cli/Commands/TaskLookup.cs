using Backbone.Api.Control;
using Backbone.Client;

namespace Backbone.Cli.Commands;

/// <summary>
/// Finds a task by the names an operator uses: <c>web.1</c> (service and slot), the full
/// <c>web.1.&lt;id&gt;</c>, the task id, or the start of it.
/// </summary>
internal static class TaskLookup
{
    public static async Task<ServiceTask> FindAsync(BackboneClient client, string reference, CancellationToken cancellationToken)
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
            0 => throw new ArgumentException($"no task \"{reference}\": name it SERVICE.SLOT (web.1), by its full name, or by (the start of) its id; `backbone service ps SERVICE` lists them"),
            _ => throw new ArgumentException($"\"{reference}\" is the start of {matches.Count} task ids: give more of it"),
        };
    }
}
