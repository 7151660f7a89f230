using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using Backbone.Overlay.Agent;
using Backbone.Overlay.Runtime;

namespace Backbone.Cli.Commands;

/// <summary>
/// <c>backbone exec TASK -- CMD ARGS</c>, as <c>docker exec</c>: runs a command inside a task's
/// container on this host (its network namespace, with its resolv.conf in view, as `ip netns
/// exec` does), with this terminal's stdin, stdout and stderr; exits with the command's code.
/// </summary>
internal static class ExecCommand
{
    public static Command Create()
    {
        Argument<string> task = new("task-or-container") { Description = "A task: SERVICE.SLOT (web.1), its full name (web.1.<id>), or (the start of) its id; or a container's name or id" };
        Argument<string[]> command = new("command") { Description = "The command and its arguments, after --", Arity = ArgumentArity.OneOrMore };
        Command exec = new("exec", "Run a command inside a task's (or standalone) container on this host, as docker exec: in its network namespace, with its\n"
            + "resolv.conf (the embedded DNS server) in view. Needs root. The exit code is the command's.\n"
            + "Example: backbone exec web.1 -- ping -c1 10.0.9.3\n"
            + "         backbone exec web.2 -- backbone echo-client 10.0.9.2:8080 hi")
        {
            task, command,
        };
        exec.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            string[] argv = parse.GetValue(command)!;
            if (!Environment.IsPrivilegedProcess)
            {
                await Console.Error.WriteLineAsync("Error: exec enters the container's namespaces, which needs root: run it with sudo").ConfigureAwait(false);
                return 1;
            }

            Runnable found;
            try
            {
                found = await TaskLookup.FindAsync(client, parse.GetValue(task)!, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
                return 1;
            }

            if (LocalContainer(found.Id) is not { } container)
            {
                string where = found.NodeName.Length > 0 ? $"runs on node {found.NodeName}" : "is not placed on any node yet";
                await Console.Error.WriteLineAsync($"Error: {found.Name} {where}; its container is not on this host (run exec on its node, or wait until `backbone service ps` shows it running)").ConfigureAwait(false);
                return 1;
            }

            try
            {
                return ContainerEntry.Run(container, () =>
                {
                    var start = new ProcessStartInfo(argv[0]) { UseShellExecute = false };
                    foreach (string argument in argv.Skip(1))
                    {
                        start.ArgumentList.Add(argument);
                    }

                    using Process process = Process.Start(start)!;
                    process.WaitForExit();
                    return process.ExitCode;
                });
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
            {
                await Console.Error.WriteLineAsync($"Error: cannot run \"{argv[0]}\" in {found.Name}: {(e.InnerException ?? e).Message}").ConfigureAwait(false);
                return 127;
            }
        }));
        return exec;
    }

    /// <summary>The task's container on this host, found by the id in its namespace's name (whatever the node's --netns-prefix).</summary>
    private static ContainerNaming? LocalContainer(string taskId)
    {
        string suffix = Backbone.Overlay.Reconcile.HostNames.ContainerSuffix(taskId);
        string? name = Directory.Exists(Backbone.Overlay.Netlink.NetworkNamespace.RunDirectory)
            ? Directory.GetFiles(Backbone.Overlay.Netlink.NetworkNamespace.RunDirectory).Select(Path.GetFileName).FirstOrDefault(n => n!.EndsWith(suffix, StringComparison.Ordinal))
            : null;
        return name is null ? null : new ContainerNaming(name);
    }
}
