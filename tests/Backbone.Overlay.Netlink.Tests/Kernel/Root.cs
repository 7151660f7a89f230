using System.Runtime.InteropServices;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>Integration tests create namespaces and links: they need root, and skip cleanly without it.</summary>
internal static partial class Root
{
    public static void Require() => Skip.IfNot(GetEuid() == 0, "needs root: creates network namespaces");

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
