using Backbone.Overlay.Netlink;
using Backbone.Overlay.Runtime;

namespace Backbone.Cli.Lab;

/// <summary>
/// Everything `lab down` removes, in the order that leaves nothing behind: the nodes (SIGTERM, then
/// SIGKILL), any process still in a lab host, the agents' containers and sandboxes (and their
/// /etc/netns files), the hosts and the underlay, then the data directory. Each part is found by
/// name as well as from the record, so a lab whose record is lost or half-written still goes.
/// </summary>
internal static class LabTeardown
{
    public static async Task RunAsync(LabPlan plan, LabState? state, Action<string> progress)
    {
        foreach ((string host, int pid) in state?.NodePids ?? [])
        {
            if (LabNodes.IsAlive(pid))
            {
                progress($"stopping the node of {host} (pid {pid})");
                await LabNodes.StopAsync(pid).ConfigureAwait(false);
            }
        }

        List<string> hosts = [.. NetworkNamespace.List().Where(n => LabWiring.IsHostNamespace(plan, n))];
        foreach (string host in hosts)
        {
            foreach (int pid in NamespaceProcesses.In(host))
            {
                progress($"stopping pid {pid}, still in {host}");
                await LabNodes.StopAsync(pid).ConfigureAwait(false);
            }
        }

        // What the hosts' agents made: namespaces PREFIXhN-..., each possibly with task processes.
        foreach (string made in NetworkNamespace.List().Where(n => IsAgentNamespace(plan, n)).Order(StringComparer.Ordinal))
        {
            NamespaceProcesses.KillAll(made);
            progress($"removing namespace {made}");
            NetworkNamespace.Delete(made);
        }

        if (Directory.Exists("/etc/netns"))
        {
            foreach (string directory in Directory.GetDirectories("/etc/netns").Where(d => IsAgentNamespace(plan, Path.GetFileName(d))))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        LabWiring.Tear(plan, progress);
        if (Directory.Exists(plan.StateDir))
        {
            progress($"removing {plan.StateDir}");
            Directory.Delete(plan.StateDir, recursive: true);
        }
    }

    /// <summary>A name an agent of this lab gave: <c>PREFIXhN-</c> and the rest.</summary>
    private static bool IsAgentNamespace(LabPlan plan, string name)
    {
        if (!name.StartsWith(plan.Prefix + "h", StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> rest = name.AsSpan(plan.Prefix.Length + 1);
        int dash = rest.IndexOf('-');
        return dash > 0 && int.TryParse(rest[..dash], out _);
    }
}
