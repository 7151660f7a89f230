using System.Security.Cryptography;

namespace Backbone.Overlay.Netlink.Tests.Kernel;

/// <summary>
/// The prefix of every namespace and link this run makes (<c>bbt</c> + 4 random hex + <c>-</c>,
/// 8 characters, leaving 7 for a link's own part within the kernel's 15), so leftovers are
/// recognisable and parallel runs do not collide.
/// </summary>
internal static class TestRun
{
    public static readonly string Prefix = $"bbt{RandomNumberGenerator.GetHexString(4, lowercase: true)}-";
}
