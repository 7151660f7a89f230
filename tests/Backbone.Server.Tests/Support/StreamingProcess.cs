using System.Diagnostics;
using System.Text;

namespace Backbone.Server.Tests.Support;

/// <summary>
/// A program that does not end by itself (etcdctl watch): its output is collected as it comes,
/// a caller waits until the output satisfies a condition, the program exits, or a deadline
/// passes, and then stops it and reads what it printed.
/// </summary>
public sealed class StreamingProcess : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();
    private readonly TaskCompletionSource stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StreamingProcess(string program, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        process = new Process { StartInfo = Tool.StartInfo(program, args, env) };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data, stdoutClosed);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data, stderrClosed);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>How the run ended: the program exited by itself, the condition was met, or the deadline passed.</summary>
    public enum Ending
    {
        Exited,
        ConditionMet,
        TimedOut,
    }

    public string Stdout
    {
        get
        {
            lock (stdout)
            {
                return stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    public int? ExitCode => process.HasExited ? process.ExitCode : null;

    /// <summary>
    /// Polls until <paramref name="done"/> holds for stdout, the program exits, or
    /// <paramref name="timeout"/> passes; then stops the program (if still running) and waits
    /// until all its output has been read.
    /// </summary>
    public async Task<Ending> RunUntilAsync(Func<string, bool> done, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Stopwatch elapsed = Stopwatch.StartNew();
        Ending ending;
        while (true)
        {
            if (done(Stdout))
            {
                ending = Ending.ConditionMet;
                break;
            }

            if (process.HasExited)
            {
                ending = Ending.Exited;
                break;
            }

            if (elapsed.Elapsed > timeout)
            {
                ending = Ending.TimedOut;
                break;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        using CancellationTokenSource drain = new(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(drain.Token).ConfigureAwait(false);
        await Task.WhenAll(stdoutClosed.Task, stderrClosed.Task).WaitAsync(drain.Token).ConfigureAwait(false);
        return ending;
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        process.Dispose();
    }

    private static void Append(StringBuilder buffer, string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (buffer)
        {
            buffer.Append(line).Append('\n');
        }
    }
}
