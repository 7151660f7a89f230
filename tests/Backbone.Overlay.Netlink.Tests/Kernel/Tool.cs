using System.Diagnostics;
using System.Text.Json;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>Runs the real iproute2 and ping to check what the library did; the library itself never runs them.</summary>
internal static class Tool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static bool Installed(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, name)));

    /// <summary>Runs and returns (exit code, stdout + stderr).</summary>
    public static (int ExitCode, string Output) Try(string file, params string[] arguments)
    {
        ProcessStartInfo start = new(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} took over {Timeout}");
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
    }

    public static string Run(string file, params string[] arguments)
    {
        (int exitCode, string output) = Try(file, arguments);
        return exitCode == 0 ? output : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {exitCode}: {output}");
    }

    /// <summary><c>ip -n NS -j ARGS</c> parsed (iproute2's JSON output).</summary>
    public static JsonElement IpJson(string ns, params string[] arguments) =>
        JsonDocument.Parse(Run("ip", ["-n", ns, "-j", .. arguments])).RootElement.Clone();
}
