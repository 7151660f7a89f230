using Backbone.Control.Nodes;
using Backbone.Control.Services;

namespace Backbone.Control.Scheduling;

/// <summary>What the scheduler changes for one service: tasks to write (new, replaced, placed) and slots to delete.</summary>
public sealed record ScheduleChanges(IReadOnlyList<TaskRecord> Put, IReadOnlyList<int> DeleteSlots)
{
    public bool IsEmpty => Put.Count == 0 && DeleteSlots.Count == 0;
}

/// <summary>
/// The scheduler's decisions, pure and deterministic (ids come from the caller): slots 1..replicas
/// each get a task; a task on a node that is gone, or on a node its constraints now exclude, is
/// replaced; a pending task is placed once a node fits; slots above the replica count go; a
/// task made for an older version of the service is replaced, one per round (a rolling update).
/// Placement spreads by count: the fitting node running the fewest tasks of this service, then
/// the fewest tasks of any service, then by name.
/// </summary>
public static class SchedulePlanner
{
    public static ScheduleChanges Plan(ServiceRecord service, IReadOnlyDictionary<int, TaskRecord> tasks, IReadOnlyList<NodeRecord> nodes,
        IDictionary<string, int> load, Func<string> newTaskId, long nowUnixMs)
    {
        var put = new List<TaskRecord>();
        List<NodeRecord> fitting = [.. nodes.Where(n => Fits(n, service.Constraints)).OrderBy(n => n.Name, StringComparer.Ordinal)];
        var live = new HashSet<string>(fitting.Select(n => n.Id), StringComparer.Ordinal);

        // This service's tasks per node: the first measure of spread, as Docker's (total load second).
        var own = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (TaskRecord task in tasks.Values.Where(t => t.Slot <= service.Replicas && t.State != "pending" && live.Contains(t.NodeId)))
        {
            own[task.NodeId] = (own.TryGetValue(task.NodeId, out int count) ? count : 0) + 1;
        }

        // Rolling update: one task of an older version of the service is replaced per round
        // (the lowest slot), and none while another slot still needs placing.
        int? outdated = null;
        if (Enumerable.Range(1, service.Replicas).All(s => tasks.TryGetValue(s, out TaskRecord? t) && t.State != "pending" && live.Contains(t.NodeId)))
        {
            outdated = Enumerable.Range(1, service.Replicas).Cast<int?>().FirstOrDefault(s => tasks[s!.Value].ServiceVersion < service.Version);
        }

        for (int slot = 1; slot <= service.Replicas; slot++)
        {
            bool keep = tasks.TryGetValue(slot, out TaskRecord? current) && current.State != "pending" && live.Contains(current.NodeId) && slot != outdated;
            if (keep)
            {
                continue;
            }

            if (current is { State: "pending" } && fitting.Count == 0)
            {
                continue; // still nowhere to go
            }

            // The task it replaces no longer counts (so an updated task can stay where it was).
            if (current is not null && current.NodeId.Length > 0)
            {
                load[current.NodeId] = Math.Max(0, (load.TryGetValue(current.NodeId, out int was) ? was : 1) - 1);
                if (current.State != "pending" && live.Contains(current.NodeId))
                {
                    own[current.NodeId] = Math.Max(0, own.GetValueOrDefault(current.NodeId) - 1);
                }
            }

            NodeRecord? target = fitting.MinBy(n => ((long)own.GetValueOrDefault(n.Id) << 32) + (load.TryGetValue(n.Id, out int total) ? total : 0)); // by name on a tie: `fitting` is sorted

            if (target is not null)
            {
                load[target.Id] = (load.TryGetValue(target.Id, out int count) ? count : 0) + 1;
                own[target.Id] = own.GetValueOrDefault(target.Id) + 1;
            }

            put.Add(new TaskRecord
            {
                Id = newTaskId(),
                ServiceId = service.Id,
                ServiceName = service.Name,
                Slot = slot,
                NodeId = target?.Id ?? "",
                NodeName = target?.Name ?? "",
                State = target is null ? "pending" : "assigned",
                CreatedUnixMs = nowUnixMs,
                ServiceVersion = service.Version,
            });
        }

        List<int> delete = [.. tasks.Keys.Where(slot => slot > service.Replicas).Order()];
        return new ScheduleChanges(put, delete);
    }

    /// <summary>Whether a node satisfies every constraint (node.name==X, node.name!=X).</summary>
    public static bool Fits(NodeRecord node, IReadOnlyList<string> constraints)
    {
        foreach (string constraint in constraints)
        {
            int equals = constraint.IndexOf("==", StringComparison.Ordinal);
            int differs = constraint.IndexOf("!=", StringComparison.Ordinal);
            if (equals > 0 && node.Name != constraint[(equals + 2)..])
            {
                return false;
            }

            if (differs > 0 && node.Name == constraint[(differs + 2)..])
            {
                return false;
            }
        }

        return true;
    }
}
