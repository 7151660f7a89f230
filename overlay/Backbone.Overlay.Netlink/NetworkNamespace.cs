using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// Named network namespaces the way iproute2 keeps them, so `ip netns` and this class see the
/// same set: a namespace NAME is kept alive by a bind mount of its nsfs file onto
/// <c>/var/run/netns/NAME</c>, and deleting it is unmounting and unlinking that file (the kernel
/// destroys the namespace, and the links in it, once nothing else holds it).
/// <para>
/// Namespaces are per thread in Linux. Everything here that enters one does it on a new
/// dedicated thread (<see cref="DedicatedThread"/>), never on the caller's thread or a pool
/// thread, which would carry the namespace into unrelated work.
/// </para>
/// Safe to call from any thread. Needs root (CAP_SYS_ADMIN) except <see cref="Exists"/> and <see cref="List"/>.
/// </summary>
public static class NetworkNamespace
{
    public const string RunDirectory = "/var/run/netns";

    /// <summary>Serializes <see cref="MakeRunDirectoryShared"/> within the process, so parallel creators do not stack two self-bind-mounts.</summary>
    private static readonly Lock RunDirectoryLock = new();

    /// <summary>
    /// Like `ip netns add NAME`: a new thread unshares into a fresh network namespace and
    /// bind-mounts it onto /var/run/netns/NAME, then ends; the mount keeps the namespace alive.
    /// The new namespace holds only <c>lo</c>, down.
    /// </summary>
    /// <exception cref="NetlinkException">EEXIST when NAME exists; EPERM without root.</exception>
    public static void Create(string name)
    {
        Names.CheckNamespaceName(name, nameof(name));
        lock (RunDirectoryLock)
        {
            Directory.CreateDirectory(RunDirectory);
            MakeRunDirectoryShared();
        }

        // O_EXCL makes the existence check and the claim of the name one step: two creators of
        // the same name cannot both succeed.
        string path = PathOf(name);
        int fd = LibC.Open(path, LibC.ORdOnly | LibC.OCreat | LibC.OExcl | LibC.OCloexec, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw Failure("create", name, errno, errno == Errno.EEXIST ? $"network namespace {name} already exists" : null);
        }

        LibC.Close(fd);
        try
        {
            DedicatedThread.Run("netns create", () =>
            {
                if (LibC.Unshare(LibC.CloneNewNet) != 0)
                {
                    throw Failure("create (unshare)", name, Marshal.GetLastPInvokeError());
                }

                // thread-self, not self: only this thread is in the new namespace.
                if (LibC.Mount("/proc/thread-self/ns/net", path, "none", LibC.MsBind, 0) != 0)
                {
                    throw Failure("create (bind mount)", name, Marshal.GetLastPInvokeError());
                }

                return true;
            });
        }
        catch
        {
            LibC.Unlink(path);
            throw;
        }
    }

    public static bool Exists(string name)
    {
        Names.CheckNamespaceName(name, nameof(name));
        return File.Exists(PathOf(name));
    }

    /// <summary>Like `ip netns delete NAME`; does nothing when NAME does not exist.</summary>
    /// <remarks>The namespace lives on while anything else holds it: a process inside it, an
    /// open fd from <see cref="Open"/>, or a socket made in it (a <see cref="RouteNetlink"/>
    /// from <see cref="RouteNetlink.OpenIn"/>). Dispose those first.</remarks>
    public static void Delete(string name)
    {
        Names.CheckNamespaceName(name, nameof(name));
        string path = PathOf(name);

        // MNT_DETACH: a busy mount is detached now and freed when its last user leaves, as iproute2 does.
        if (LibC.Umount2(path, LibC.MntDetach) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ENOENT)
            {
                return;
            }

            if (errno != Errno.EINVAL)
            {
                throw Failure("delete (umount)", name, errno); // EINVAL: a file left without its mount by a crashed create; unlink it below
            }
        }

        if (LibC.Unlink(path) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.ENOENT)
            {
                throw Failure("delete (unlink)", name, errno);
            }
        }
    }

    /// <summary>The names under <see cref="RunDirectory"/>, sorted ordinally.</summary>
    public static IReadOnlyList<string> List()
    {
        if (!Directory.Exists(RunDirectory))
        {
            return [];
        }

        List<string> names = [.. Directory.EnumerateFiles(RunDirectory).Select(p => Path.GetFileName(p))];
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>An O_RDONLY|O_CLOEXEC fd of the namespace: for setns, IFLA_NET_NS_FD, or to keep it alive. The caller disposes it.</summary>
    /// <exception cref="NetlinkException">ENOENT when NAME does not exist.</exception>
    public static SafeFileHandle Open(string name)
    {
        Names.CheckNamespaceName(name, nameof(name));
        int fd = LibC.Open(PathOf(name), LibC.ORdOnly | LibC.OCloexec, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw Failure("open", name, errno, errno == Errno.ENOENT ? $"no network namespace {name}" : null);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Runs <paramref name="action"/> inside namespace NAME on a new thread that enters it first
    /// and ends afterwards; the caller blocks until then, and the action's exception is rethrown
    /// to it. Sockets the action creates stay in NAME and may then be used from any thread.
    /// The action must be synchronous: continuations after an await would run on pool threads,
    /// outside NAME.
    /// </summary>
    public static T Run<T>(string name, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        using SafeFileHandle ns = Open(name);
        return DedicatedThread.Run("netns " + name, () =>
        {
            if (LibC.SetNs(ns, LibC.CloneNewNet) != 0)
            {
                throw Failure("enter", name, Marshal.GetLastPInvokeError());
            }

            return action();
        });
    }

    private static string PathOf(string name) => Path.Combine(RunDirectory, name);

    /// <summary>
    /// iproute2's rule, for the same reason: mounts made under a shared /var/run/netns reach
    /// every mount namespace created since (such as the private one of `ip netns exec`), and so
    /// does their unmount. Without it such a copy would keep a deleted namespace, and every link
    /// in it, alive. When the directory is not a mount point yet (EINVAL), it is bind-mounted
    /// onto itself first, once. Another process doing the same at the same moment can still
    /// stack a second self-mount, as with iproute2; that is untidy but harmless.
    /// </summary>
    private static void MakeRunDirectoryShared()
    {
        if (LibC.Mount("", RunDirectory, "none", LibC.MsShared | LibC.MsRec, 0) == 0)
        {
            return;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno != Errno.EINVAL)
        {
            throw Failure("share", RunDirectory, errno);
        }

        if (LibC.Mount(RunDirectory, RunDirectory, "none", LibC.MsBind | LibC.MsRec, 0) != 0)
        {
            throw Failure("bind-mount", RunDirectory, Marshal.GetLastPInvokeError());
        }

        if (LibC.Mount("", RunDirectory, "none", LibC.MsShared | LibC.MsRec, 0) != 0)
        {
            throw Failure("share", RunDirectory, Marshal.GetLastPInvokeError());
        }
    }

    private static NetlinkException Failure(string operation, string name, int errno, string? hint = null) =>
        new("netns", operation, name, errno, kernelMessage: null, hint);
}
