namespace Backbone.Overlay.Netlink;

/// <summary>
/// A kernel refusal of a netlink request or of a namespace syscall. The message names the
/// operation, the object, the strerror text and the errno name, then the kernel's own
/// explanation (extended ack) and a hint when there is one:
/// <c>netlink: create bridge bb1234br: File exists (EEXIST); hint: the object already exists</c>.
/// Callers that react to a failure switch on <see cref="Errno"/> (see <see cref="Netlink.Errno"/>), never on the text.
/// </summary>
public sealed class NetlinkException : Exception
{
    public NetlinkException(string operation, string target, int errno, string? kernelMessage = null, string? hint = null)
        : this("netlink", operation, target, errno, kernelMessage, hint)
    {
    }

    /// <summary>With another subsystem than "netlink" at the front, such as "netns" for the namespace syscalls.</summary>
    internal NetlinkException(string subsystem, string operation, string target, int errno, string? kernelMessage, string? hint)
        : base(Format(subsystem, operation, target, errno, kernelMessage, hint ?? DefaultHint(errno)))
    {
        Operation = operation;
        Target = target;
        Errno = errno;
        KernelMessage = kernelMessage;
    }

    /// <summary>The positive errno the kernel returned.</summary>
    public int Errno { get; }

    /// <summary>What was attempted, such as "create bridge".</summary>
    public string Operation { get; }

    /// <summary>The object it was attempted on: a link or namespace name, or "link 7".</summary>
    public string Target { get; }

    /// <summary>The kernel's extended-ack text ("Attribute failed policy validation"), when it sent one.</summary>
    public string? KernelMessage { get; }

    /// <summary>A hint for the errno values that have an obvious usual cause.</summary>
    public static string? DefaultHint(int errno) => errno switch
    {
        Netlink.Errno.EPERM => "run as root (needs CAP_NET_ADMIN, and CAP_SYS_ADMIN for namespaces)",
        Netlink.Errno.EEXIST => "the object already exists",
        Netlink.Errno.ENODEV or Netlink.Errno.ENOENT => "no such device (or it lives in another network namespace)",
        Netlink.Errno.EOPNOTSUPP => "the kernel lacks this link type or feature (a module not loaded?)",
        _ => null,
    };

    private static string Format(string subsystem, string operation, string target, int errno, string? kernelMessage, string? hint)
    {
        string text = $"{subsystem}: {operation} {target}: {Netlink.Errno.Describe(errno)} ({Netlink.Errno.Name(errno)})";
        if (!string.IsNullOrEmpty(kernelMessage))
        {
            text += $": {kernelMessage}";
        }

        return hint is null ? text : $"{text}; hint: {hint}";
    }
}
