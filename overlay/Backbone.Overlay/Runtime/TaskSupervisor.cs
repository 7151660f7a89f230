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

    /// <summary>Stops (and forgets, logs included) every run whose task is not wanted, or wanted in another container.</summary>
    public async Task StopUnwantedAsync(IReadOnlyList<Workload> wanted)
    {
        var keep = wanted.ToDictionary(w => w.Task.Id, StringComparer.Ordinal);
        List<TaskRun> going = [.. runs.Values.Where(r => !keep.TryGetValue(r.Workload.Task.Id, out Workload? w) || w.Container != r.Workload.Container)];
        await Task.WhenAll(going.Select(r => r.StopAsync())).ConfigureAwait(false);
        foreach (TaskRun run in going)
        {
            runs.Remove(run.Workload.Task.Id);
            TaskLog.Delete(logDirectory, run.Workload.Task.Id);
        }
    }

    /// <summary>Starts a run for each wanted task that has none (their containers exist by now).</summary>
    public void StartMissing(IReadOnlyList<Workload> wanted)
    {
        foreach (Workload workload in wanted.Where(w => !runs.ContainsKey(w.Task.Id)))
        {
            var run = new TaskRun(workload, new TaskLog(logDirectory, workload.Task.Id, time), changed, time);
            runs[workload.Task.Id] = run;
            run.Start();
        }
    }

    /// <summary>The status of each supervised task, by task id.</summary>
    public IReadOnlyDictionary<string, TaskStatus> Statuses() => runs.ToDictionary(r => r.Key, r => r.Value.Status, StringComparer.Ordinal);

    /// <summary>Stops every run (the node is stopping or leaving).</summary>
    public Task StopAllAsync() => StopUnwantedAsync([]);
}
