namespace Backbone.Overlay.Runtime;

/// <summary>How a task's process runs right now, as its supervisor knows it.</summary>
public sealed record TaskStatus(string State, int Pid, int? ExitCode, int Restarts, string Message, DateTimeOffset Since)
{
    public const string Starting = "starting";
    public const string Running = "running";
    public const string Restarting = "restarting";
    public const string Complete = "complete";
    public const string Failed = "failed";

    /// <summary>Stopped by its agent (removed, or its node stops).</summary>
    public const string Shutdown = "shutdown";

    public bool IsRunning => State == Running;
}
