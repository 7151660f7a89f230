using System.Diagnostics;
using System.Globalization;
using Backbone.Overlay.Agent;

namespace Backbone.Overlay.Runtime;

/// <summary>
/// One task's process and its life: started inside the task's container, its output kept in
/// the task's log, started again after it exits as the restart condition says (waiting 1 s,
/// doubling to 10 s between tries, back to 1 s after a run of 10 s or more), stopped with
/// SIGTERM and, after a grace period, SIGKILL. Every change of <see cref="Status"/> is
/// reported through <c>changed</c>, so the agent publishes it.
/// </summary>
internal sealed class TaskRun
{
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly TaskLog log;
    private readonly Action changed;
    private readonly TimeProvider time;
    private readonly CancellationTokenSource stopping = new();
    private Task loop = Task.CompletedTask;
    private volatile TaskStatus status;

    public TaskRun(Workload workload, TaskLog log, Action changed, TimeProvider time)
    {
        Workload = workload;
        this.log = log;
        this.changed = changed;
        this.time = time;
        status = new TaskStatus(TaskStatus.Starting, 0, null, 0, "", time.GetUtcNow());
    }

    public Workload Workload { get; }

    public TaskStatus Status => status;

    public void Start() => loop = Task.Run(GuardedRunAsync);

    /// <summary>Stops the process (SIGTERM, then SIGKILL after <see cref="StopGrace"/>) and the loop; no restart follows.</summary>
    public async Task StopAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
    }

    /// <summary>The loop, with any failure of its own (not the task's) reported as the task's failure instead of lost in a faulted task.</summary>
    private async Task GuardedRunAsync()
    {
        try
        {
            await RunAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Set(TaskStatus.Failed, 0, null, status.Restarts, $"the agent lost track of it: {e.Message}");
        }
    }

    private async Task RunAsync()
    {
        TimeSpan backoff = FirstBackoff;
        int restarts = 0;
        while (!stopping.IsCancellationRequested)
        {
            Set(TaskStatus.Starting, 0, null, restarts, "");
            Process process;
            try
            {
                process = ContainerEntry.Run(Workload.Container, StartProcess);
            }
            catch (Exception e)
            {
                string why = $"cannot start {Quote(Workload.Command[0])}: {e.Message}";
                log.Append("agent", why);
                if (!await RestartAsync(exitCode: null, why).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            DateTimeOffset started = time.GetUtcNow();
            using (process)
            {
                Set(TaskStatus.Running, process.Id, null, restarts, "");
                try
                {
                    await process.WaitForExitAsync(stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    await TerminateAsync(process).ConfigureAwait(false);
                    Set(TaskStatus.Shutdown, 0, null, restarts, "stopped by its agent");
                    return;
                }

                process.WaitForExit(); // the output's last lines are in the log before the exit is reported
                int code = process.ExitCode;
                string exited = $"exited with code {code.ToString(CultureInfo.InvariantCulture)}";
                log.Append("agent", exited);
                backoff = time.GetUtcNow() - started >= MaxBackoff ? FirstBackoff : backoff;
                if (!await RestartAsync(code, exited).ConfigureAwait(false))
                {
                    return;
                }
            }
        }

        async Task<bool> RestartAsync(int? exitCode, string why)
        {
            bool again = Workload.RestartCondition switch
            {
                "any" => true,
                "on-failure" => exitCode != 0,
                _ => false,
            };
            if (!again)
            {
                Set(exitCode == 0 ? TaskStatus.Complete : TaskStatus.Failed, 0, exitCode, restarts, why);
                return false;
            }

            restarts++;
            Set(TaskStatus.Restarting, 0, exitCode, restarts, $"{why}; starting again in {backoff.TotalSeconds:0} s");
            try
            {
                await Task.Delay(backoff, time, stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            return true;
        }
    }

    /// <summary>Runs on the thread that entered the container: the child is forked from it, so it starts inside.</summary>
    private Process StartProcess()
    {
        ProcessStartInfo start = OwnSession.StartInfo(Workload.Command);
        start.UseShellExecute = false;
        start.RedirectStandardInput = true; // its own empty stdin, never the node's
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = "/";

        start.Environment["BACKBONE_TASK_ID"] = Workload.Id;
        start.Environment["BACKBONE_TASK_NAME"] = Workload.Name;
        if (Workload.IsTask)
        {
            start.Environment["BACKBONE_TASK_SLOT"] = Workload.Slot.ToString(CultureInfo.InvariantCulture);
            start.Environment["BACKBONE_SERVICE_NAME"] = Workload.ServiceName;
        }
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep("stdout", e.Data);
        process.ErrorDataReceived += (_, e) => Keep("stderr", e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Keep(string stream, string? line)
    {
        if (line is not null)
        {
            log.Append(stream, line);
        }
    }

    private async Task TerminateAsync(Process process)
    {
        Interop.kill(process.Id, Interop.SigTerm);
        using var grace = new CancellationTokenSource(StopGrace);
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        log.Append("agent", "stopped");
    }

    private void Set(string state, int pid, int? exitCode, int restarts, string message)
    {
        status = new TaskStatus(state, pid, exitCode, restarts, message, time.GetUtcNow());
        changed();
    }

    private static string Quote(string text) => "\"" + text + "\"";
}
