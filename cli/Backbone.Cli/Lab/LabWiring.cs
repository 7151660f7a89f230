using System.Net;
using Backbone.Overlay.Netlink;

namespace Backbone.Cli.Lab;

/// <summary>
/// The lab's underlay, made and unmade over our rtnetlink client: the switch namespace with its
/// bridge, each host namespace with loopback and <c>eth0</c> on the bridge, and the one veth from
/// this namespace to the bridge.
/// </summary>
internal static class LabWiring
{
    public static void Build(LabPlan plan, Action<string> progress)
    {
        NetworkNamespace.Create(plan.SwitchNamespace);
        using (RouteNetlink switchNs = RouteNetlink.OpenIn(plan.SwitchNamespace))
        {
            switchNs.SetUp(switchNs.FindLink("lo")!.Index);
            switchNs.CreateBridge(LabPlan.SwitchBridge, 1500);
            switchNs.SetUp(BridgeIndex(switchNs));
        }

        foreach (LabHost host in plan.Hosts)
        {
            progress($"host {host.Name}: namespace {host.Namespace}, eth0 {host.Address}/24");
            NetworkNamespace.Create(host.Namespace);
            using RouteNetlink inside = RouteNetlink.OpenIn(host.Namespace);
            inside.SetUp(inside.FindLink("lo")!.Index);
            using (var hostNs = NetworkNamespace.Open(host.Namespace))
            using (RouteNetlink switchNs = RouteNetlink.OpenIn(plan.SwitchNamespace))
            {
                // Made in the switch with the peer straight in the host: nothing passes through here.
                switchNs.CreateVethPair(LabPlan.SwitchPort(host), "eth0", 1500, hostNs);
                Link port = switchNs.FindLink(LabPlan.SwitchPort(host))!;
                switchNs.SetMaster(port.Index, BridgeIndex(switchNs));
                switchNs.SetUp(port.Index);
            }

            Link eth0 = inside.FindLink("eth0") ?? throw new InvalidOperationException($"eth0 did not arrive in {host.Namespace}");
            inside.AddAddress(eth0.Index, IPAddress.Parse(host.Address), 24);
            inside.SetUp(eth0.Index);
        }

        using (RouteNetlink here = RouteNetlink.Open())
        using (var switchHandle = NetworkNamespace.Open(plan.SwitchNamespace))
        {
            progress($"this namespace: {plan.GatewayLink} {plan.GatewayAddress}/24, to reach the nodes");
            here.CreateVethPair(plan.GatewayLink, "gw", 1500, switchHandle);
            Link gateway = here.FindLink(plan.GatewayLink)!;
            here.AddAddress(gateway.Index, IPAddress.Parse(plan.GatewayAddress), 24);
            here.SetUp(gateway.Index);
        }

        using (RouteNetlink switchNs = RouteNetlink.OpenIn(plan.SwitchNamespace))
        {
            Link gw = switchNs.FindLink("gw")!;
            switchNs.SetMaster(gw.Index, BridgeIndex(switchNs));
            switchNs.SetUp(gw.Index);
        }
    }

    /// <summary>
    /// Removes what <see cref="Build"/> made, and whatever part of it exists (a `lab up` that failed
    /// midway): the host namespaces, the switch (its end of every veth takes the other with it).
    /// </summary>
    public static void Tear(LabPlan plan, Action<string> progress)
    {
        foreach (string name in NetworkNamespace.List().Where(n => IsHostNamespace(plan, n)).Order(StringComparer.Ordinal))
        {
            progress($"removing namespace {name}");
            NetworkNamespace.Delete(name);
        }

        if (NetworkNamespace.Exists(plan.SwitchNamespace))
        {
            progress($"removing namespace {plan.SwitchNamespace} (the underlay and {plan.GatewayLink})");
            NetworkNamespace.Delete(plan.SwitchNamespace);
        }

        using RouteNetlink here = RouteNetlink.Open();
        if (here.FindLink(plan.GatewayLink) is { } left)
        {
            // Deleting the switch's namespace takes this peer along, but the kernel does it after the
            // namespace call returns: the link seen here may be gone by the time it is deleted.
            here.TryDeleteLink(left.Index);
        }
    }

    /// <summary>A lab host's namespace (<c>PREFIXhost-N</c>), whatever the host count it was made with.</summary>
    public static bool IsHostNamespace(LabPlan plan, string name) =>
        name.StartsWith(plan.Prefix + "host-", StringComparison.Ordinal) && int.TryParse(name.AsSpan(plan.Prefix.Length + 5), out _);

    private static int BridgeIndex(RouteNetlink netlink) =>
        netlink.FindLink(LabPlan.SwitchBridge)?.Index ?? throw new InvalidOperationException($"the lab's bridge {LabPlan.SwitchBridge} is missing");
}
