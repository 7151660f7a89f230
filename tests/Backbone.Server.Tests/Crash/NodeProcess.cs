using System.Diagnostics;
using System.Net.Sockets;

namespace Backbone.Server.Tests.Crash;

/// <summary>
/// A node as its own OS process (the real `./backbone node` binary), so a test can SIGKILL it.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private Process? process;
    private readonly System.Text.StringBuilder output = new();

    public NodeProcess(string dataDir)
    {
        DataDir = dataDir;
        Port = Support.FreePort.Next();
    }

    public string DataDir { get; }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Flags added after the usual ones at the next <see cref="Start"/>.</summary>
    public List<string> ExtraArguments { get; } = [];

    /// <summary>Starts with `node --data-dir DIR` and <see cref="ExtraArguments"/> alone, as an operator restarts a node whose flags are kept.</summary>
    public bool DataDirOnly { get; set; }

    /// <summary>What the process printed so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>The repository's `backbone` script (it builds the CLI when needed).</summary>
    public static string Script()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "backbone");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Backbone.sln")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("cannot find the repository's ./backbone script above " + AppContext.BaseDirectory);
    }

    public void Start()
    {
        ProcessStartInfo start = new(Script())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] usual = DataDirOnly ? ["node", "--data-dir", DataDir] : ["node", "--name", "crash", "--data-dir", DataDir, "--listen-client", Endpoint];
        foreach (string arg in usual.Concat(ExtraArguments))
        {
            start.ArgumentList.Add(arg);
        }

        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>
    /// Polls until the client port accepts connections (Kestrel binds only after the store has
    /// recovered), or fails with what the node printed. Transport-only, so test projects with
    /// other etcd clients (dotnet-etcd) can share this file.
    /// </summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"node exited with {process.ExitCode}: {Output}");
            }

            try
            {
                using TcpClient probe = new();
                await probe.ConnectAsync("127.0.0.1", Port).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using CancellationTokenSource deadline = new(timeout);
        await process!.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        return process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly as a crash.</summary>
    public void Kill()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    /// <summary>SIGTERM, as an operator's `kill` or systemd stop.</summary>
    public void Terminate()
    {
        if (process is { HasExited: false })
        {
            _ = SendSignal(process.Id, 15);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
