using System.Globalization;
using System.Net.NetworkInformation;

namespace Backbone.Overlay.Netlink;

/// <summary>MAC addresses as `ip` and `bridge` print them, and as the store keeps them: <c>02:42:0a:00:00:05</c>.</summary>
public static class MacText
{
    /// <summary>Lower-case hex pairs joined by colons (<see cref="PhysicalAddress.ToString"/> gives 02420A000005).</summary>
    public static string Format(PhysicalAddress mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        return string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }

    /// <summary>The form <see cref="Format"/> writes, back to an address.</summary>
    /// <exception cref="FormatException">Not six hex pairs.</exception>
    public static PhysicalAddress Parse(string text) => PhysicalAddress.Parse(text.Replace(':', '-').ToUpperInvariant());
}
