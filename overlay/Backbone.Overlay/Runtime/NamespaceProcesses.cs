using System.Globalization;
using Backbone.Overlay.Netlink;

namespace Backbone.Overlay.Runtime;

/// <summary>
/// The processes living in a network namespace, found through /proc: what a container's
/// removal must stop, including any left by an agent that was killed (its children outlive it).
/// A namespace with a process in it would survive its name's removal, with its links.
/// </summary>
public static class NamespaceProcesses
{
    /// <summary>The pids whose network namespace is the one named (empty when it does not exist).</summary>
    public static IReadOnlyList<int> In(string namespaceName)
    {
        // The namespace's identity as /proc shows it ("net:[inode]"), read from a thread inside it.
        string? identity;
        try
        {
            identity = NetworkNamespace.Run(namespaceName, () => new FileInfo("/proc/thread-self/ns/net").LinkTarget);
        }
        catch (NetlinkException)
        {
            return []; // gone, or never finished (a name without a namespace): nothing can run in it
        }

        if (identity is null)
        {
            return [];
        }

        var pids = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != Environment.ProcessId)
            {
                try
                {
                    if (new FileInfo(Path.Combine(dir, "ns", "net")).LinkTarget == identity)
                    {
                        pids.Add(pid);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone meanwhile, or not ours to see.
                }
            }
        }

        return pids;
    }

    /// <summary>Kills every process in the namespace (SIGKILL: a removed container gets no grace beyond what its supervisor gave).</summary>
    public static int KillAll(string namespaceName)
    {
        IReadOnlyList<int> pids = In(namespaceName);
        foreach (int pid in pids)
        {
            Interop.kill(pid, 9);
        }

        return pids.Count;
    }
}
