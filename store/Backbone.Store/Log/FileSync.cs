using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backbone.Store.Log;

/// <summary>fdatasync and directory fsync: what "on disk" means for the WAL.</summary>
internal static partial class FileSync
{
    public static void DataSync(SafeFileHandle handle)
    {
        if (OperatingSystem.IsLinux())
        {
            if (fdatasync((int)handle.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fdatasync failed: errno {Marshal.GetLastPInvokeError()}");
            }

            return;
        }

        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>fsync: the file's data and its metadata (a length cut back, say).</summary>
    public static void FullSync(SafeFileHandle handle)
    {
        if (OperatingSystem.IsLinux())
        {
            if (fsync((int)handle.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fsync failed: errno {Marshal.GetLastPInvokeError()}");
            }

            return;
        }

        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>Makes a created or deleted file name durable (the file's data sync does not).</summary>
    public static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"{path}: open for fsync failed: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                throw new IOException($"{path}: fsync failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
