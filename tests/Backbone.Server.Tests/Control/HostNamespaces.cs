using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Control;

/// <summary>
/// What the agent made on this host, as `ip` sees it (the real tool, not our netlink client),
/// and the clean-up of a test's namespaces by prefix, whatever state a failed test left.
/// </summary>
internal static class HostNamespaces
{
    public static bool IsRoot => Environment.IsPrivilegedProcess;

    public static async Task<IReadOnlyList<string>> ListAsync(string prefix)
    {
        Tool.Result list = await Tool.RunAsync("ip", ["netns", "list"]);
        return [.. list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    public static async Task<IReadOnlyList<int>> PidsAsync(string name)
    {
        Tool.Result pids = await Tool.RunAsync("ip", ["netns", "pids", name]);
        return [.. pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
    }

    /// <summary>The /etc/netns entries (resolv.conf directories) of the prefix.</summary>
    public static IReadOnlyList<string> EtcEntries(string prefix) =>
        Directory.Exists("/etc/netns") ? [.. Directory.GetDirectories("/etc/netns", prefix + "*").Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)] : [];

    /// <summary>`ip -d link` inside a namespace.</summary>
    public static async Task<string> LinksAsync(string name) => (await Tool.RunAsync("ip", ["-n", name, "-d", "link"])).Stdout;

    /// <summary>Kills what runs in the prefix's namespaces and deletes them (and their /etc/netns files).</summary>
    public static async Task RemoveAsync(string prefix)
    {
        foreach (string orphan in EtcEntries(prefix))
        {
            Directory.Delete(Path.Combine("/etc/netns", orphan), recursive: true);
        }

        foreach (string name in await ListAsync(prefix))
        {
            foreach (int pid in await PidsAsync(name))
            {
                await Tool.RunAsync("kill", ["-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }

            await Tool.RunAsync("ip", ["netns", "delete", name]);
            string etc = Path.Combine("/etc/netns", name);
            if (Directory.Exists(etc))
            {
                Directory.Delete(etc, recursive: true);
            }
        }
    }
}
