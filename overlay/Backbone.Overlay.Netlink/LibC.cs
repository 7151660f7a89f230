using System.Runtime.InteropServices;

namespace Backbone.Overlay.Netlink;

/// <summary>
/// The few libc calls .NET has no managed form for. Each returns -1 and sets errno on failure
/// (read it with <see cref="Marshal.GetLastPInvokeError"/> right after the call).
/// </summary>
internal static partial class LibC
{
    public const int SockRaw = 3;
    public const int SockCloexec = 0x80000;
    public const int ORdOnly = 0;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int OCloexec = 0x80000;
    public const int CloneNewNet = 0x40000000;
    public const int MntDetach = 2;
    public const ulong MsBind = 0x1000;
    public const ulong MsRec = 0x4000;
    public const ulong MsShared = 0x100000;

    /// <summary>struct sockaddr_nl (12 bytes). PortId 0 lets the kernel pick a unique port.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrNetlink
    {
        public ushort Family;
        public ushort Pad;
        public uint PortId;
        public uint Groups;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(nint fd, in SockaddrNetlink address, int addressLength);

    /// <summary>open(2) is variadic; the mode is passed as a third int, which the Linux x86-64
    /// and arm64 calling conventions place exactly where the variadic callee reads it.</summary>
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unlink(string path);

    /// <summary>Affects only the calling thread's namespaces (Linux namespaces are per task).</summary>
    [LibraryImport("libc", EntryPoint = "unshare", SetLastError = true)]
    public static partial int Unshare(int flags);

    /// <summary>Affects only the calling thread; see <see cref="NetworkNamespace.Run{T}"/> for why that thread must be a new one.</summary>
    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(SafeHandle fd, int namespaceType);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string? fileSystemType, ulong flags, nint data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);
}
