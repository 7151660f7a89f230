using System.Diagnostics;

namespace Backbone.Server.Tests.Support;

/// <summary>Runs an external program (etcdctl, the backbone binary) and captures what it printed.</summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string All => Stdout + Stderr;
    }

    /// <summary>The path of a program on PATH, or a failure that says how to get it.</summary>
    public static string Require(string program, string debianPackage)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{program} is not installed: `apt-get install {debianPackage}` (the README's test command does it)");
    }

    public static async Task<Result> RunAsync(string program, IEnumerable<string> args, string? stdin = null,
        IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        ProcessStartInfo start = StartInfo(program, args, env);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
        }

        process.StandardInput.Close();
        using CancellationTokenSource deadline = new(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} did not finish in time");
        }

        return new Result(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>How every test starts a program: all three standard streams redirected, no shell.</summary>
    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        ProcessStartInfo start = new(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach ((string key, string value) in env ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return start;
    }

    /// <summary>etcdctl (v3 API) against <paramref name="endpoint"/>.</summary>
    public static Task<Result> EtcdctlAsync(string endpoint, string? stdin, params string[] args) =>
        RunAsync(
            Require("etcdctl", "etcd-client"),
            ["--endpoints", endpoint, "--command-timeout=10s", .. args],
            stdin,
            new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
}
