namespace Backbone.Control.Scheduling;

/// <summary>A task as `service ps` shows it: the scheduler's record and its agent's report (null when none).</summary>
public sealed record TaskView(TaskRecord Task, TaskStatusRecord? Status)
{
    /// <summary>What runs now: the agent's state; the scheduler's ("pending", "assigned") until the agent reports.</summary>
    public string CurrentState => Status?.State ?? Task.State;
}
