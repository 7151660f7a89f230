namespace Backbone.Overlay.Netlink;

/// <summary>
/// Linux errno values (generic numbering: x86-64 and arm64) with their symbolic names, so
/// error messages say "EEXIST" and not only the localized-looking strerror text.
/// </summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ERANGE = 34;
    public const int EOPNOTSUPP = 95;
    public const int EAFNOSUPPORT = 97;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETUNREACH = 101;
    public const int ETIMEDOUT = 110;

    private static readonly Dictionary<int, string> Names = new()
    {
        [1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO", [6] = "ENXIO",
        [7] = "E2BIG", [9] = "EBADF", [11] = "EAGAIN", [12] = "ENOMEM", [13] = "EACCES",
        [14] = "EFAULT", [16] = "EBUSY", [17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV",
        [20] = "ENOTDIR", [21] = "EISDIR", [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE",
        [28] = "ENOSPC", [30] = "EROFS", [34] = "ERANGE", [36] = "ENAMETOOLONG",
        [39] = "ENOTEMPTY", [40] = "ELOOP", [88] = "ENOTSOCK", [90] = "EMSGSIZE",
        [92] = "ENOPROTOOPT", [93] = "EPROTONOSUPPORT", [95] = "EOPNOTSUPP",
        [97] = "EAFNOSUPPORT", [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL", [100] = "ENETDOWN",
        [101] = "ENETUNREACH", [105] = "ENOBUFS", [110] = "ETIMEDOUT", [113] = "EHOSTUNREACH",
        [114] = "EALREADY",
    };

    /// <summary>"EEXIST" for 17; "errno 4242" for a number not in the table.</summary>
    public static string Name(int errno) => Names.TryGetValue(errno, out string? name) ? name : $"errno {errno}";

    /// <summary>The C library's strerror text ("File exists").</summary>
    public static string Describe(int errno) => System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno);
}
