using System.Diagnostics;

namespace Backbone.Cli;

/// <summary>Runs this CLI again as a child, the way an operator would type the command; its output and exit code.</summary>
internal static class SelfCli
{
    /// <summary>How to run this CLI again: the apphost, or `dotnet backbone.dll`.</summary>
    public static (string Program, string[] Prefix) Invocation()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program this is");
        string entry = System.Reflection.Assembly.GetEntryAssembly()?.Location ?? "";
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && entry.Length > 0 ? (process, [entry]) : (process, []);
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        (string program, string[] prefix) = Invocation();
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in prefix.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException("could not start the CLI");
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync().ConfigureAwait(false);
        return (child.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    /// <summary>As <see cref="RunAsync"/>, failing with the command and its output when it does not succeed.</summary>
    public static async Task<string> MustAsync(params string[] args)
    {
        (int code, string output) = await RunAsync(args).ConfigureAwait(false);
        return code == 0 ? output : throw new InvalidOperationException($"`backbone {string.Join(' ', args)}` failed ({code}): {output.Trim()}");
    }
}
