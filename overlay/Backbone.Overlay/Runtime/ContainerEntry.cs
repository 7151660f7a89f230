using Backbone.Overlay.Agent;
using Backbone.Overlay.Netlink;

namespace Backbone.Overlay.Runtime;

/// <summary>
/// Runs code inside a container as `ip netns exec` does: in a private mount namespace where the
/// files of <c>/etc/netns/&lt;ns&gt;/</c> (its resolv.conf) are bind-mounted over /etc's, and in
/// the container's network namespace. A process started there (Process.Start forks from the
/// calling thread) lives in both. Namespaces belong to a thread, so each call gets a thread of
/// its own that ends with it: a pool thread never carries a container's namespaces.
/// </summary>
public static class ContainerEntry
{
    public static T Run<T>(ContainerNaming container, Func<T> action)
    {
        string netns = Path.Combine("/var/run/netns", container.Namespace);
        if (!File.Exists(netns))
        {
            throw new InvalidOperationException($"container namespace {container.Namespace} does not exist (no {netns})");
        }

        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Interop.Check(Interop.unshare(Interop.CloneNewNs), "unshare(CLONE_NEWNS)");
                // Private, so the bind mounts below stay in this namespace and never reach the host's.
                Interop.Check(Interop.mount(null, "/", null, Interop.MsRec | Interop.MsPrivate, IntPtr.Zero), "making / a private mount");
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

                using (Microsoft.Win32.SafeHandles.SafeFileHandle handle = NetworkNamespace.Open(container.Namespace))
                {
                    Interop.Check(Interop.setns((int)handle.DangerousGetHandle(), Interop.CloneNewNet), $"entering network namespace {container.Namespace}");
                }

                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        { IsBackground = true, Name = $"enter {container.Namespace}" };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw failure is IOException or InvalidOperationException ? failure : new InvalidOperationException(failure.Message, failure);
        }

        return result;
    }
}
