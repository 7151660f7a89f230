using Backbone.Server.Tests.Control;
using Backbone.Server.Tests.Support;

namespace Backbone.Server.Tests.Lab;

/// <summary>What the lab tests read off a lab: tasks by host, a host's DNS answers, a sandbox's tunnel entries, commands inside a container.</summary>
internal static class LabLook
{
    /// <summary>The VNI `network inspect` gives <paramref name="network"/>.</summary>
    public static async Task<string> VniAsync(LabRun lab, string network) =>
        (await lab.CliAsync("network", "inspect", network)).Stdout.Split("\"Vni\":")[1].Split(',')[0].Trim();

    public static async Task<List<(int Host, string Container, string Address)>> TasksOfAsync(LabRun lab, string service)
    {
        var found = new List<(int, string, string)>();
        foreach (string line in (await lab.CliAsync("service", "ps", service)).Stdout.Split('\n').Skip(1))
        {
            string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length >= 5 && columns[3] == "running" && columns[2].StartsWith("host-", StringComparison.Ordinal))
            {
                int host = int.Parse(columns[2]["host-".Length..], System.Globalization.CultureInfo.InvariantCulture);
                found.Add((host, $"{lab.AgentPrefix(host)}c-{columns[0]}", columns[4].Split('=')[1]));
            }
        }

        return found;
    }

    /// <summary>The addresses the host listener of host <paramref name="host"/> (127.0.0.1:8600 in its namespace) gives for <paramref name="name"/>.</summary>
    public static async Task<List<string>> HostDnsAsync(LabRun lab, int host, string name)
    {
        Tool.Result dig = await Tool.RunAsync("ip", ["netns", "exec", $"{lab.Prefix}host-{host}", Tool.Require("dig", "dnsutils"), "@127.0.0.1", "-p", "8600", "+short", "+time=1", "+tries=1", name]);
        return [.. dig.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => char.IsAsciiDigit(l[0]))];
    }

    /// <summary>The running tasks of `web` by host index: their container namespace and address (one per host: the last listed wins).</summary>
    public static async Task<Dictionary<int, (string Container, string Address)>> RunningTasksAsync(LabRun lab)
    {
        var found = new Dictionary<int, (string, string)>();
        foreach ((int host, string container, string address) in await TasksOfAsync(lab, "web"))
        {
            found[host] = (container, address);
        }

        return found;
    }

    public static Task<Tool.Result> InAsync(string container, params string[] command) =>
        Tool.RunAsync("ip", ["netns", "exec", container, .. command], timeout: TimeSpan.FromSeconds(60));

    public static async Task<string[]> FdbAsync(string sandbox) =>
        [.. (await Tool.RunAsync("bridge", ["-n", sandbox, "fdb", "show", "dev", "vxlan0"])).Stdout.Split('\n')
            .Where(l => l.Contains(" dst ", StringComparison.Ordinal)).Select(l => string.Join(' ', l.Split(' ').Take(3))).Order()];

    public static async Task<string[]> NeighboursAsync(string sandbox) =>
        [.. (await Tool.RunAsync("ip", ["-n", sandbox, "-4", "neigh", "show", "dev", "vxlan0"])).Stdout.Split('\n')
            .Where(l => l.Contains("PERMANENT", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).Order()];

    public static string[] AddressesIn(string getent) =>
        [.. getent.Split('\n').Where(l => l.Contains("STREAM", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).Order()];

    public static string Mac(string ipv4) => Backbone.Overlay.Reconcile.HostNames.MacFor(ipv4);
}
