using Backbone.Overlay.Agent;
using Backbone.Overlay.Netlink;

namespace Backbone.Overlay.Runtime;

/// <summary>
/// Runs code inside a container as `ip netns exec` does: in the container's network namespace,
/// and in a mount namespace of its own where the files of <c>/etc/netns/&lt;ns&gt;/</c> (its
/// resolv.conf) are bind-mounted over /etc's. A process started there (Process.Start forks from
/// the calling thread) lives in both. Namespaces belong to a thread, so each call runs on a
/// thread of its own that ends with it (<see cref="NetworkNamespace.Run"/>): a pool thread never
/// carries a container's namespaces.
/// </summary>
public static class ContainerEntry
{
    public static T Run<T>(ContainerNaming container, Func<T> action)
    {
        if (!NetworkNamespace.Exists(container.Namespace))
        {
            throw new InvalidOperationException($"container namespace {container.Namespace} does not exist");
        }

        try
        {
            return NetworkNamespace.Run(container.Namespace, () =>
            {
                Interop.Check(Interop.unshare(Interop.CloneNewNs), "unshare(CLONE_NEWNS)");

                // Slave, not private: the bind mounts below stay in this namespace, yet the host's
                // later unmounts (a removed namespace's /var/run/netns entry) still reach it, so a
                // long-running task never keeps another container's namespace alive.
                Interop.Check(Interop.mount(null, "/", null, Interop.MsRec | Interop.MsSlave, IntPtr.Zero), "making / a slave mount");
                if (Directory.Exists(container.EtcDirectory))
                {
                    foreach (string file in Directory.GetFiles(container.EtcDirectory))
                    {
                        string target = Path.Combine("/etc", Path.GetFileName(file));
                        if (File.Exists(target))
                        {
                            Interop.Check(Interop.mount(file, target, null, Interop.MsBind, IntPtr.Zero), $"bind-mounting {file} over {target}");
                        }
                    }
                }

                return action();
            });
        }
        catch (NetlinkException e)
        {
            throw new InvalidOperationException($"entering container {container.Namespace}: {e.Message}", e);
        }
    }
}
