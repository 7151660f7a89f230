using System.Diagnostics;

namespace Backbone.Overlay.Runtime;

/// <summary>
/// Starts a task's process in a session of its own, as a container's first process is: Ctrl-C on
/// a node run in a terminal reaches the node, which stops its tasks in order, not every task at
/// once; and the kernel's autogroup scheduler weighs the task apart from the node instead of
/// splitting one CPU share between them. .NET cannot call setsid(2) between fork and exec, so
/// util-linux's setsid(1) does: the child is not a process-group leader (Process.Start leaves it in
/// the node's group), so setsid calls setsid(2) and execs the program in place, keeping the PID
/// the agent reports and signals.
/// </summary>
internal static class OwnSession
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>setsid(1) as the node found it on its PATH, or null (then tasks share the node's session).</summary>
    public static string? Setsid { get; } = TryResolve("setsid", Environment.GetEnvironmentVariable("PATH"));

    /// <summary>
    /// How to start <paramref name="command"/> in its own session. The program is looked up here,
    /// before the fork, so a missing one is the same clear start failure as without setsid, not
    /// an exit code 127 from setsid.
    /// </summary>
    /// <exception cref="FileNotFoundException">No executable file by that name.</exception>
    public static ProcessStartInfo StartInfo(IReadOnlyList<string> command)
    {
        string program = Resolve(command[0], Environment.GetEnvironmentVariable("PATH"));
        var start = new ProcessStartInfo(Setsid ?? program);
        if (Setsid is not null)
        {
            start.ArgumentList.Add(program);
        }

        foreach (string argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>
    /// The file exec would run for <paramref name="program"/>: itself when it holds a slash
    /// (relative to /, the task's working directory), else the first executable file of that name
    /// in <paramref name="path"/>'s directories, as execvp(3) searches.
    /// </summary>
    /// <exception cref="FileNotFoundException">No executable file by that name.</exception>
    public static string Resolve(string program, string? path) =>
        TryResolve(program, path) ?? throw new FileNotFoundException(
            program.Contains('/', StringComparison.Ordinal)
                ? $"{Path.GetFullPath(program, "/")} is not an executable file"
                : $"no executable {program} in any directory of PATH ({path ?? DefaultPath})",
            program);

    private static string? TryResolve(string program, string? path)
    {
        if (program.Length == 0)
        {
            return null;
        }

        if (program.Contains('/', StringComparison.Ordinal))
        {
            string full = Path.GetFullPath(program, "/");
            return IsExecutable(full) ? full : null;
        }

        foreach (string directory in (path ?? DefaultPath).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, program);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutable(string file) =>
        OperatingSystem.IsLinux() && File.Exists(file) && (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
