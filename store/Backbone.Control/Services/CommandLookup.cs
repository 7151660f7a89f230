namespace Backbone.Control.Services;

/// <summary>
/// Whether a command can be started, checked where the request is taken before anything is
/// written (as Docker checks an image exists): a path must name an executable file; a bare name
/// must be one in a directory of PATH. The nodes that run the tasks are assumed to have the
/// same files as the one that took the request.
/// </summary>
public static class CommandLookup
{
    /// <summary>Null when <paramref name="command"/> can be started here; otherwise why not, with what to do.</summary>
    public static string? Problem(string command, string? searchPath = null)
    {
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(command)
                ? Executable(command) ? null : $"command \"{command}\" is not executable (chmod +x it)"
                : $"command \"{command}\" does not exist on this node: give the path of an executable file as it is on the nodes";
        }

        searchPath ??= Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string directory in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, command);
            if (File.Exists(candidate) && Executable(candidate))
            {
                return null;
            }
        }

        return $"command \"{command}\" is not found in any directory of this node's PATH ({searchPath}): give its full path";
    }

    private static bool Executable(string path) =>
        OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
