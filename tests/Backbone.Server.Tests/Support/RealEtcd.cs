using System.Diagnostics;

namespace Backbone.Server.Tests.Support;

/// <summary>
/// A real etcd (Debian's etcd-server, <c>/usr/bin/etcd</c>) for one test: single member named
/// <c>default</c>, its own temporary data directory, free loopback ports for clients and peers,
/// and ready once <c>etcdctl endpoint health</c> succeeds. It listens on 127.0.0.1 only.
/// <see cref="DisposeAsync"/> kills it and deletes the directory.
/// </summary>
public sealed class RealEtcd : IAsyncDisposable
{
    /// <summary>A first election takes up to ~1 s here (election timeout 1,000 ms); the rest is slack for a busy machine.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan HealthPollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>A free port can be taken by someone else between <see cref="FreePort.Next"/> and etcd's bind: retry with new ports.</summary>
    private const int StartAttemptsMax = 3;

    /// <summary>Only the tail of etcd's log is kept, for failure messages.</summary>
    private const int LogLinesMax = 200;

    private readonly Process process;
    private readonly Queue<string> logTail = new();

    private RealEtcd(string dataDir, int clientPort, int peerPort)
    {
        DataDir = dataDir;
        ClientPort = clientPort;
        PeerPort = peerPort;
        string clientUrl = $"http://127.0.0.1:{clientPort}";
        string peerUrl = $"http://127.0.0.1:{peerPort}";
        ProcessStartInfo start = new(Tool.Require("etcd", "etcd-server"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])[
            "--name", "default",
            "--data-dir", dataDir,
            "--listen-client-urls", clientUrl,
            "--advertise-client-urls", clientUrl,
            "--listen-peer-urls", peerUrl,
            "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", $"default={peerUrl}",
            "--initial-cluster-state", "new",
        ])
        {
            start.ArgumentList.Add(arg);
        }

        // Settings from the environment (ETCD_*) would change what the test compares against.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("ETCD_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string DataDir { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

    /// <summary>HOST:PORT for etcdctl's --endpoints and for gRPC clients.</summary>
    public string Endpoint => $"127.0.0.1:{ClientPort}";

    /// <summary>The last lines etcd printed (for a failure message).</summary>
    public string LogTail
    {
        get
        {
            lock (logTail)
            {
                return string.Join('\n', logTail);
            }
        }
    }

    public static async Task<RealEtcd> StartAsync(CancellationToken cancellationToken = default)
    {
        for (int attempt = 1; ; attempt++)
        {
            string dataDir = Path.Combine(Path.GetTempPath(), "bbetcd-" + Guid.NewGuid().ToString("N")[..12]);
            RealEtcd etcd = new(dataDir, FreePort.Next(), FreePort.Next());
            try
            {
                await etcd.WaitHealthyAsync(cancellationToken).ConfigureAwait(false);
                return etcd;
            }
            catch (InvalidOperationException) when (attempt < StartAttemptsMax && etcd.LogTail.Contains("address already in use", StringComparison.Ordinal))
            {
                await etcd.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await etcd.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using CancellationTokenSource deadline = new(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        finally
        {
            process.Dispose();
        }

        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // etcd died before creating it
        }
        catch (IOException)
        {
            // best effort: the directory is under the temp dir
        }
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        Stopwatch elapsed = Stopwatch.StartNew();
        Tool.Result? last = null;
        while (elapsed.Elapsed < StartTimeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with code {process.ExitCode} before it was healthy:\n{LogTail}");
            }

            last = await Tool.RunAsync(
                Tool.Require("etcdctl", "etcd-client"),
                ["--endpoints", Endpoint, "--dial-timeout=1s", "--command-timeout=2s", "endpoint", "health"],
                env: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" },
                timeout: TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            if (last.ExitCode == 0 && last.All.Contains("is healthy", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(HealthPollInterval, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"etcd on {Endpoint} not healthy after {StartTimeout.TotalSeconds} s; last check: {last?.All}\n{LogTail}");
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (logTail)
        {
            logTail.Enqueue(line);
            while (logTail.Count > LogLinesMax)
            {
                logTail.Dequeue();
            }
        }
    }
}
