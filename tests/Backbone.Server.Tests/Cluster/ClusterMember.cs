using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Backbone.Server.Tests.Crash;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// One cluster member as its own OS process (the real <c>./backbone node</c>), so a test can
/// SIGKILL, SIGSTOP and SIGCONT it by PID. Its ports and data directory stay the same across
/// restarts; everything it printed, over all its runs, is kept for failure messages.
/// </summary>
/// <remarks>
/// The <c>./backbone</c> script <c>exec</c>s the CLI, so once the member serves, its PID is the
/// node's own: a signal reaches the node, not a wrapper shell. Not thread-safe: one test drives it.
/// </remarks>
public sealed partial class ClusterMember : IAsyncDisposable
{
    /// <summary>Start-up can include the script's Release build of the CLI when sources changed.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    /// <summary>
    /// The runtime's diagnostic IPC socket and debug pipes are removed at a clean exit only; a
    /// member that dies of SIGKILL would leave them in /tmp.
    /// </summary>
    private static readonly Dictionary<string, string> NoDiagnostics = new() { ["DOTNET_EnableDiagnostics"] = "0" };

    private const int SigKill = 9;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private readonly StringBuilder output = new();
    private Process? process;

    /// <summary>The line that says the node serves: a manager's by default, a worker's after <see cref="StartWorkerAsync"/>.</summary>
    private Regex servingLine = ServingLine();

    public ClusterMember(string name, string dataDir)
    {
        Name = name;
        DataDir = dataDir;
        ClientPort = FreePort.Next();
        PeerPort = FreePort.Next();
    }

    public enum RunState
    {
        NotStarted,
        Running,
        Paused,
        Stopped,
    }

    public string Name { get; }

    public string DataDir { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

    /// <summary>HOST:PORT of the etcd v3 API, as <c>--join</c> and etcdctl take it.</summary>
    public string ClientEndpoint => $"127.0.0.1:{ClientPort}";

    /// <summary>Its client port serves TLS (started with --client-cert): its URL is https://. Set it before a restart that turns TLS on.</summary>
    public bool ClientTls { get; set; }

    public string ClientUrl => $"{(ClientTls ? "https" : "http")}://{ClientEndpoint}";

    /// <summary>What <c>--join</c> and etcdctl's --endpoints take: HOST:PORT, or the https:// URL with TLS.</summary>
    public string JoinAddress => ClientTls ? ClientUrl : ClientEndpoint;

    public string PeerEndpoint => $"127.0.0.1:{PeerPort}";

    /// <summary>Started as a worker (<see cref="StartWorkerAsync"/>): no Raft member id, a pass-through client API.</summary>
    public bool IsWorker { get; private set; }

    /// <summary>The Raft member id, from the node's "serving" line (0 before the first start, and for a worker).</summary>
    public ulong MemberId { get; private set; }

    public int Pid => process?.Id ?? throw new InvalidOperationException($"{Name} was never started");

    public RunState State { get; private set; } = RunState.NotStarted;

    /// <summary>Can answer requests: started, not paused, not killed.</summary>
    public bool IsServing => State == RunState.Running;

    /// <summary>Everything the member printed (stdout and stderr), over all its runs.</summary>
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

    /// <summary>The last <paramref name="lines"/> lines of <see cref="Output"/>, for assertion messages.</summary>
    public string Tail(int lines = 30)
    {
        string[] all = Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>
    /// Starts <c>backbone node</c> with <paramref name="args"/> (after <c>node</c>) and waits until it
    /// serves its client API; throws with its output if it exits first or takes too long.
    /// </summary>
    public async Task StartAsync(IEnumerable<string> args)
    {
        args = [.. args, .. AgentFlags]; // at every start (the node keeps them too), so a test that changes them between starts is obeyed
        if (State is RunState.Running or RunState.Paused)
        {
            throw new InvalidOperationException($"{Name} is already running");
        }

        process?.Dispose();
        int runStart;
        lock (output)
        {
            output.Append(CultureInfo.InvariantCulture, $"--- {DateTime.UtcNow:HH:mm:ss.fff} start: node {string.Join(' ', args)}\n");
            runStart = output.Length;
        }

        Process started = new() { StartInfo = Tool.StartInfo(Program, ["node", .. args], new Dictionary<string, string>([.. NoDiagnostics, .. ExtraEnvironment])) };
        started.OutputDataReceived += (_, e) => Append(e.Data);
        started.ErrorDataReceived += (_, e) => Append(e.Data);
        started.Start();
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        process = started;
        State = RunState.Running;

        Match serving = await WaitForServingLineAsync(started, runStart).ConfigureAwait(false);
        if (serving.Groups[1].Success)
        {
            MemberId = ulong.Parse(serving.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// As <see cref="StartAsync"/> for a node that joins (or restarts) as a worker: it waits for the
    /// worker's "serving ... by passing calls to the managers" line. Later restarts wait for it too.
    /// </summary>
    public Task StartWorkerAsync(IEnumerable<string> args)
    {
        IsWorker = true;
        servingLine = WorkerServingLine();
        return StartAsync(args);
    }

    /// <summary>
    /// What the next starts run: the repository's <c>./backbone</c>, or an older release's
    /// launcher (<see cref="PreviousRelease"/>) in an upgrade test. It must <c>exec</c> the node,
    /// so that signals reach the node itself.
    /// </summary>
    public string Program { get; set; } = NodeProcess.Script();

    /// <summary>Environment variables for the next starts (fault injection hooks).</summary>
    public Dictionary<string, string> ExtraEnvironment { get; } = [];

    /// <summary>
    /// Flags about the host agent given at every start. Off by default: tests of the store and
    /// the scheduler run many nodes on one host, and their agents would share namespace names;
    /// agent tests give each node its own --netns-prefix.
    /// </summary>
    public IReadOnlyList<string> AgentFlags { get; set; } = ["--no-agent", .. DnsFlags];

    /// <summary>Many nodes share this host: each DNS host listener takes a free port (<see cref="DnsEndpointAsync"/> tells which).</summary>
    public static IReadOnlyList<string> DnsFlags { get; } = ["--dns-addr", "127.0.0.1:0"];

    /// <summary>HOST:PORT of the node's DNS host listener, from its start-up line.</summary>
    public Task<string> DnsEndpointAsync(TimeSpan timeout) => StartupValueAsync(DnsLine(), "DNS listener", timeout);

    /// <summary>http://IP:PORT/metrics of a node started with --metrics-addr, from its start-up line.</summary>
    public Task<string> MetricsUrlAsync(TimeSpan timeout) => StartupValueAsync(MetricsLine(), "metrics address", timeout);

    /// <summary>
    /// Group 1 of the latest line matching <paramref name="line"/>, waiting for it. The node prints
    /// such lines as notes on stderr before its serving line on stdout, but the two streams reach
    /// this process through separate handlers, so a note can arrive after the start returned.
    /// </summary>
    private async Task<string> StartupValueAsync(Regex line, string what, TimeSpan timeout)
    {
        string? value = null;
        await Poll.UntilAsync(
            () => Task.FromResult((value = line.Matches(Output) is { Count: > 0 } lines ? lines[^1].Groups[1].Value : null) is not null),
            timeout, () => $"{Name} printed no {what}:\n{Output}").ConfigureAwait(false);
        return value!;
    }

    /// <summary>Restart after a kill: only <c>--data-dir</c>, everything else is kept there.</summary>
    public Task RestartAsync() => StartAsync(["--data-dir", DataDir]);

    /// <summary>Sends SIGKILL without waiting, so several members die at (nearly) the same instant.</summary>
    public void SendKill()
    {
        if (State is RunState.Running or RunState.Paused)
        {
            _ = SendSignal(Pid, SigKill);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly as a crash. Returns once the process is gone.</summary>
    public void Kill()
    {
        SendKill();
        WaitForKilled();
    }

    /// <summary>Waits for the process to be gone after <see cref="SendKill"/>.</summary>
    public void WaitForKilled()
    {
        if (process is not null && State is RunState.Running or RunState.Paused)
        {
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                throw new InvalidOperationException($"{Name} (pid {process.Id}) survived SIGKILL for 30 s");
            }

            Note("killed (SIGKILL)");
            State = RunState.Stopped;
        }
    }

    /// <summary>Waits for the process to exit by itself (after <c>swarm leave</c>); returns its exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        Process running = process ?? throw new InvalidOperationException($"{Name} was never started");
        if (State == RunState.Stopped && running.HasExited)
        {
            return running.ExitCode; // it exited while starting
        }

        if (!running.WaitForExit(timeout))
        {
            throw new TimeoutException($"{Name} (pid {running.Id}) did not exit within {timeout.TotalSeconds:0} s:\n{Tail()}");
        }

        running.WaitForExit(); // the output is read to its end
        Note($"exited by itself (code {running.ExitCode})");
        State = RunState.Stopped;
        return running.ExitCode;
    }

    /// <summary>SIGSTOP: the process freezes with its sockets open, as a long GC pause or a hung VM.</summary>
    public void Pause()
    {
        Require(RunState.Running, "pause");
        Check(SendSignal(Pid, SigStop), "SIGSTOP");
        Note("paused (SIGSTOP)");
        State = RunState.Paused;
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        Require(RunState.Paused, "resume");
        Check(SendSignal(Pid, SigCont), "SIGCONT");
        Note("resumed (SIGCONT)");
        State = RunState.Running;
    }

    public ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            try
            {
                if (!process.HasExited)
                {
                    // A stopped process still dies of SIGKILL; the tree covers a build still running.
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(TimeSpan.FromSeconds(30));
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            process.Dispose();
        }

        State = RunState.Stopped;
        return ValueTask.CompletedTask;
    }

    private async Task<Match> WaitForServingLineAsync(Process started, int runStart)
    {
        Stopwatch elapsed = Stopwatch.StartNew();
        while (true)
        {
            string printed;
            lock (output)
            {
                printed = output.ToString(runStart, output.Length - runStart);
            }

            Match match = servingLine.Match(printed);
            if (match.Success && printed.Contains(ClientUrl, StringComparison.Ordinal))
            {
                return match;
            }

            if (started.HasExited)
            {
                State = RunState.Stopped;
                started.WaitForExit(); // its last lines may still be on their way from the pipes
                lock (output)
                {
                    printed = output.ToString(runStart, output.Length - runStart);
                }

                throw new InvalidOperationException($"{Name} exited with {started.ExitCode} before serving:\n{printed}");
            }

            if (elapsed.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"{Name} did not serve within {StartTimeout.TotalSeconds:0} s:\n{printed}");
            }

            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private void Require(RunState state, string action)
    {
        if (State != state)
        {
            throw new InvalidOperationException($"cannot {action} {Name}: it is {State}");
        }
    }

    private void Check(int result, string signal)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"{signal} to {Name} (pid {Pid}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private void Note(string what) => Append($"--- {DateTime.UtcNow:HH:mm:ss.fff} {what}");

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.Append(line).Append('\n');
                if (KeptLogs is { } directory)
                {
                    File.AppendAllText(Path.Combine(directory, Name + ".log"), line + "\n");
                }
            }
        }
    }

    /// <summary>BACKBONE_TEST_LOG_DIR: every member's whole output also goes to DIR/NAME.log (soaks; assertion messages carry only the tail).</summary>
    private static readonly string? KeptLogs = Environment.GetEnvironmentVariable("BACKBONE_TEST_LOG_DIR") is { Length: > 0 } kept ? Directory.CreateDirectory(kept).FullName : null;

    /// <summary>A node's start-up line for its DNS host listener; group 1 is HOST:PORT.</summary>
    [GeneratedRegex(@"dns: serving every network's names on (\S+) ")]
    internal static partial Regex DnsLine();

    /// <summary>A node's start-up line for its metrics listener; group 1 is the /metrics URL.</summary>
    [GeneratedRegex(@"metrics: serving Prometheus metrics on (\S+)")]
    internal static partial Regex MetricsLine();

    [GeneratedRegex(@"serving the etcd v3 API on \S+ \(member ([0-9a-f]+),")]
    private static partial Regex ServingLine();

    [GeneratedRegex(@"backbone worker serving the etcd v3 API on \S+ by passing calls to the managers")]
    private static partial Regex WorkerServingLine();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
