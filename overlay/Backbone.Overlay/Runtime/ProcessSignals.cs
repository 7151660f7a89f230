namespace Backbone.Overlay.Runtime;

/// <summary>Signals by pid, for tools outside this assembly that stop what the agent or the lab started.</summary>
public static class ProcessSignals
{
    public const int Terminate = 15;
    public const int Kill = 9;

    /// <summary>Sends <paramref name="signal"/>; false when there is no such process (or it is not ours to signal).</summary>
    public static bool Send(int pid, int signal) => Interop.kill(pid, signal) == 0;
}
