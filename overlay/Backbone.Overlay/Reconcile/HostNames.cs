using System.Globalization;
using Backbone.Control.Networks;

namespace Backbone.Overlay.Reconcile;

/// <summary>
/// The names the agent gives kernel objects: every namespace starts with the agent's prefix
/// (<c>bb-</c>; tests use a per-run one), so the agent finds and removes exactly its own, and
/// link names stay within the kernel's 15 characters.
/// </summary>
public static class HostNames
{
    public const string DefaultPrefix = "bb-";

    /// <summary>A network's sandbox: <c>bb-sb-&lt;vni&gt;</c> (the VNI is unique per network).</summary>
    public static string Sandbox(string prefix, int vni) => $"{prefix}sb-{vni.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A task's container: <c>bb-c-&lt;first 12 of the task id&gt;</c>.</summary>
    public static string Container(string prefix, string taskId) => prefix + ContainerSuffix(taskId);

    /// <summary>What every agent's name for this task's container ends with, whatever its prefix (how `exec` finds it).</summary>
    public static string ContainerSuffix(string taskId) => $"c-{Short(taskId)}";

    /// <summary>The sandbox end of a container's veth pair: <c>ve</c> and 12 of the task id (14 characters).</summary>
    public static string SandboxVeth(string taskId) => $"ve{Short(taskId)}";

    /// <summary>Docker's MAC for an IPv4 address: 02:42 then the address's four bytes (locally administered, unique per network).</summary>
    public static string MacFor(string ipv4)
    {
        if (!Ipv4Cidr.TryParseAddress(ipv4, out uint address))
        {
            throw new ArgumentException($"\"{ipv4}\" is not an IPv4 address", nameof(ipv4));
        }

        return string.Create(CultureInfo.InvariantCulture, $"02:42:{address >> 24:x2}:{(address >> 16) & 0xff:x2}:{(address >> 8) & 0xff:x2}:{address & 0xff:x2}");
    }

    private static string Short(string id) => id.Length <= 12 ? id : id[..12];
}
