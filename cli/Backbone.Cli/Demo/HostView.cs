using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Backbone.Cli.Lab;
using Backbone.Overlay.Netlink;

namespace Backbone.Cli.Demo;

/// <summary>A host's overlay as the kernel holds it, read over our rtnetlink client (what `ip -d link`, `bridge fdb` and `ip neigh` show).</summary>
internal static class HostView
{
    public static string Describe(LabHost host, LabPlan plan)
    {
        var text = new StringBuilder($"    {host.Name} ({host.Address}):\n");
        foreach (string sandbox in NetworkNamespace.List().Where(n => n.StartsWith(host.AgentPrefix + "sb-", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using RouteNetlink netlink = RouteNetlink.OpenIn(sandbox);
            if (netlink.FindLink("vxlan0") is not { Vxlan: { } vxlan } device)
            {
                text.Append(CultureInfo.InvariantCulture, $"      {sandbox}: no vxlan0\n");
                continue;
            }

            text.Append(CultureInfo.InvariantCulture, $"      {sandbox}: vxlan0 vni {vxlan.Vni} local {vxlan.Local} dstport {vxlan.Port} {(vxlan.Learning ? "learning" : "nolearning")}{(vxlan.Proxy ? " proxy" : "")} mtu {device.Mtu}\n");
            foreach (FdbEntry entry in netlink.GetFdb(device.Index).Where(f => f.Remote is not null && f.Mac.GetAddressBytes().Any(b => b != 0)))
            {
                string mac = MacText.Format(entry.Mac);
                string owner = plan.Hosts.FirstOrDefault(h => h.Address == entry.Remote!.ToString())?.Name ?? "?";
                text.Append(CultureInfo.InvariantCulture, $"        fdb   {mac} dst {entry.Remote} ({owner})\n");
            }

            foreach (Neighbour neighbour in netlink.GetNeighbours(device.Index).Where(n => n.Address.AddressFamily == AddressFamily.InterNetwork && n.State.HasFlag(NeighbourState.Permanent)))
            {
                text.Append(CultureInfo.InvariantCulture, $"        neigh {neighbour.Address} lladdr {MacText.Format(neighbour.Mac!)} permanent\n");
            }
        }

        return text.ToString().TrimEnd('\n');
    }
}
