using Backbone.Overlay.Agent;

namespace Backbone.Overlay.Runtime;

/// <summary>
/// The processes of this host's tasks, one <see cref="TaskRun"/> each: started once their
/// container exists, stopped before it is removed. Called from the agent's loop only.
/// </summary>
public sealed class TaskSupervisor(string logDirectory, Action changed, TimeProvider time)
{
    private readonly Dictionary<string, TaskRun> runs = new(StringComparer.Ordinal);

    public string LogDirectory => logDirectory;

    /// <summary>Stops every run whose task is no longer wanted, or wanted in another container, and deletes the logs of tasks that are gone.</summary>
    public async Task StopUnwantedAsync(IReadOnlyList<Workload> wanted)
    {
        var keep = wanted.ToDictionary(w => w.Id, StringComparer.Ordinal);
        List<string> going = [.. runs.Values.Where(r => !keep.TryGetValue(r.Workload.Id, out Workload? w) || w.Container != r.Workload.Container).Select(r => r.Workload.Id)];
        await StopAsync(going).ConfigureAwait(false);
        foreach (string id in going.Where(id => !keep.ContainsKey(id)))
        {
            TaskLog.Delete(logDirectory, id);
        }
    }

    /// <summary>Stops these runs (their logs stay); a wanted one starts again with <see cref="StartMissing"/>.</summary>
    public async Task StopAsync(IReadOnlyCollection<string> ids)
    {
        List<TaskRun> going = [.. ids.Where(runs.ContainsKey).Select(id => runs[id])];
        try
        {
            await Task.WhenAll(going.Select(r => r.StopAsync())).ConfigureAwait(false);
        }
        finally
        {
            foreach (TaskRun run in going)
            {
                runs.Remove(run.Workload.Id);
            }
        }
    }

    /// <summary>Starts a run for each of these tasks that has none (their containers exist).</summary>
    public void StartMissing(IEnumerable<Workload> ready)
    {
        foreach (Workload workload in ready.Where(w => !runs.ContainsKey(w.Id)))
        {
            var run = new TaskRun(workload, new TaskLog(logDirectory, workload.Id, time), changed, time);
            runs[workload.Id] = run;
            run.Start();
        }
    }

    /// <summary>The status of each supervised task, by task id.</summary>
    public IReadOnlyDictionary<string, TaskStatus> Statuses() => runs.ToDictionary(r => r.Key, r => r.Value.Status, StringComparer.Ordinal);

    /// <summary>Stops every run (the node stops or leaves); the logs stay.</summary>
    public Task StopAllAsync() => StopAsync([.. runs.Keys]);
}
