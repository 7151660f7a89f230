using System.Runtime.InteropServices;

namespace Backbone.Overlay.Runtime;

/// <summary>The few libc calls that enter a container: .NET has no managed form of them.</summary>
internal static partial class Interop
{
    public const int CloneNewNs = 0x00020000;
    public const int CloneNewNet = 0x40000000;
    public const ulong MsBind = 4096;
    public const ulong MsRec = 16384;
    public const ulong MsSlave = 1 << 19;
    public const int SigTerm = 15;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int unshare(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string? source, string target, string? filesystemType, ulong flags, IntPtr data);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int signal);

    public static void Check(int result, string what)
    {
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }
}
