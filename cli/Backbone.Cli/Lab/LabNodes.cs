using System.Diagnostics;
using Backbone.Client;
using Backbone.Overlay.Netlink;
using Backbone.Overlay.Runtime;

namespace Backbone.Cli.Lab;

/// <summary>
/// Starts and stops the lab's node processes: each is this same CLI, `backbone node`, started
/// inside its host's namespace (a child inherits the namespace of the thread that starts it) in
/// a session of its own, so it outlives `lab up`; its output goes to <c>node.log</c> in its data
/// directory.
/// </summary>
internal static class LabNodes
{
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(10);

    /// <summary>Starts <paramref name="host"/>'s node with <paramref name="arguments"/> after `node`; returns its pid.</summary>
    public static int Start(LabHost host, IReadOnlyList<string> arguments)
    {
        Directory.CreateDirectory(host.DataDir);
        string log = Path.Combine(host.DataDir, "node.log");
        (string program, string[] prefix) = SelfCli.Invocation();

        // sh only to redirect and detach: exec setsid PROGRAM ARGS... >>LOG 2>&1 </dev/null, the
        // arguments passed as sh's own ($0 "$@"), never spliced into the script.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec setsid \"$0\" \"$@\" >>\"$BACKBONE_LAB_LOG\" 2>&1 </dev/null");
        start.ArgumentList.Add(program);
        foreach (string argument in prefix.Concat(["node", .. arguments]))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["BACKBONE_LAB_LOG"] = log;
        using Process process = NetworkNamespace.Run(host.Namespace, () => Process.Start(start))
            ?? throw new InvalidOperationException($"could not start the node of {host.Name}");

        // exec keeps the pid (sh becomes setsid, which becomes the node) unless setsid had to fork
        // (when it leads a process group already); then the node is the one process in the namespace.
        if (!IsAlive(process.Id) && NamespaceProcesses.In(host.Namespace) is [int only])
        {
            return only;
        }

        return process.Id;
    }

    /// <summary>Waits until <paramref name="host"/>'s client API answers a read, or fails naming its log.</summary>
    public static async Task WaitReadyAsync(LabHost host, int pid, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        using var client = new BackboneClient(host.ClientEndpoint);
        string? last = null;
        while (deadline.Elapsed < ReadyWithin)
        {
            if (!IsAlive(pid))
            {
                throw new InvalidOperationException($"the node of {host.Name} exited; its log: {Path.Combine(host.DataDir, "node.log")}{Tail(host)}");
            }

            try
            {
                using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                call.CancelAfter(TimeSpan.FromSeconds(3));
                await client.GetAsync("/bb/lab/ready", call.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                last = e.Message;
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"the node of {host.Name} did not answer on {host.ClientEndpoint} within {ReadyWithin.TotalSeconds:0} s (last: {last}); its log: {Path.Combine(host.DataDir, "node.log")}{Tail(host)}");
    }

    /// <summary>SIGTERM, then SIGKILL after <see cref="StopWithin"/>: a node stops cleanly when it can.</summary>
    public static async Task StopAsync(int pid)
    {
        if (!IsAlive(pid))
        {
            return;
        }

        ProcessSignals.Send(pid, ProcessSignals.Terminate);
        var waited = Stopwatch.StartNew();
        while (IsAlive(pid) && waited.Elapsed < StopWithin)
        {
            await Task.Delay(100).ConfigureAwait(false);
        }

        if (IsAlive(pid))
        {
            ProcessSignals.Send(pid, ProcessSignals.Kill);
        }
    }

    /// <summary>Whether <paramref name="pid"/> runs (a zombie does not count: it is only waiting to be reaped).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Tail(LabHost host)
    {
        string log = Path.Combine(host.DataDir, "node.log");
        return File.Exists(log) ? "\n" + string.Join('\n', File.ReadLines(log).TakeLast(15)) : "";
    }
}
