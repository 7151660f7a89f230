using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Backbone.Overlay.Agent;
using Backbone.Overlay.Netlink;
using Backbone.Overlay.Reconcile;
using Backbone.Overlay.Runtime;

namespace Backbone.Overlay.Kernel;

/// <summary>
/// The real host: observes and changes namespaces, bridges, veths, addresses and routes through
/// our rtnetlink client. Observation reports what is there as it is, half-made objects included
/// (a bridge without its address, an interface not on its bridge, a name without a namespace),
/// so that the reconciler remakes them; any other failure to read throws, so that a passing
/// error never makes the agent tear down healthy containers.
/// </summary>
public sealed class KernelHost(CrashPoint? crashAt = null) : IHost
{
    /// <summary>
    /// Fault injection for the crash tests: the node kills itself (SIGKILL, as a crash: no
    /// shutdown code runs) just before the kernel change <see cref="CrashPoint"/> names. Unset: never.
    /// </summary>
    public const string CrashAtStepVariable = "BACKBONE_AGENT_CRASH_AT_STEP";

    private int steps;
    private string currentKind = "";

    /// <summary>What containers resolve with: the embedded DNS server inside their namespace.</summary>
    public const string ResolvConf = "nameserver 127.0.0.11\noptions ndots:0\n";

    public HostState Observe(string prefix)
    {
        List<string> names = [.. NetworkNamespace.List().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        var sandboxes = new List<(SandboxSpec Spec, HashSet<string> Ports)>();
        var tunnels = new List<TunnelSpec>();
        var peers = new List<PeerSpec>();
        foreach (string name in names)
        {
            string rest = name[prefix.Length..];
            if (rest.StartsWith("sb-", StringComparison.Ordinal) && int.TryParse(rest.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int vni))
            {
                sandboxes.Add(ObserveSandbox(name, vni, tunnels, peers));
            }
        }

        var containers = new List<ContainerSpec>();
        foreach (string name in names.Where(n => n[prefix.Length..].StartsWith("c-", StringComparison.Ordinal)))
        {
            containers.Add(ObserveContainer(name, name[(prefix.Length + 2)..], sandboxes));
        }

        return new HostState([.. sandboxes.Select(s => s.Spec)], containers) { Tunnels = tunnels, Peers = peers };
    }

    public void Apply(HostAction action)
    {
        currentKind = CrashPoint.KindOf(action);
        switch (action)
        {
            case HostAction.CreateSandbox create:
                CreateSandbox(create.Sandbox);
                break;
            case HostAction.DeleteSandbox delete:
                NamespaceProcesses.KillAll(delete.Namespace);
                Step();
                NetworkNamespace.Delete(delete.Namespace);
                break;
            case HostAction.CreateContainer create:
                CreateContainer(create.Container);
                break;
            case HostAction.DeleteContainer delete:
                DeleteContainer(delete.Container.Namespace);
                break;
            case HostAction.CreateTunnel create:
                KernelTunnels.Create(create.Tunnel, Step);
                break;
            case HostAction.DeleteTunnel delete:
                KernelTunnels.Delete(delete.Sandbox, Step);
                break;
            case HostAction.UpdatePeers update:
                KernelTunnels.UpdatePeers(update, Step);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, "unknown host action");
        }
    }

    private void Step()
    {
        if (crashAt is null || (crashAt.Kind is not null && crashAt.Kind != currentKind))
        {
            return;
        }

        if (++steps == crashAt.Step)
        {
            Console.Error.WriteLine($"agent: crash injected before kernel change {steps} ({CrashAtStepVariable}={crashAt})");
            Runtime.Interop.kill(Environment.ProcessId, 9);
        }
    }

    private void CreateSandbox(SandboxSpec sandbox)
    {
        Step();
        NetworkNamespace.Create(sandbox.Namespace);
        using RouteNetlink netlink = RouteNetlink.OpenIn(sandbox.Namespace);
        Step();
        netlink.SetUp(netlink.FindLink("lo")!.Index);
        Step();
        netlink.CreateBridge(SandboxSpec.BridgeName, sandbox.Mtu);
        Link bridge = netlink.FindLink(SandboxSpec.BridgeName) ?? throw new InvalidOperationException($"bridge {SandboxSpec.BridgeName} vanished from {sandbox.Namespace} after it was made");
        (IPAddress gateway, int length) = ParseCidr(sandbox.GatewayCidr);
        Step();
        netlink.AddAddress(bridge.Index, gateway, length);
        Step();
        netlink.SetUp(bridge.Index);
    }

    private void CreateContainer(ContainerSpec container)
    {
        Step();
        NetworkNamespace.Create(container.Namespace);
        var naming = new ContainerNaming(container.Namespace);
        Directory.CreateDirectory(naming.EtcDirectory);
        Step();
        File.WriteAllText(naming.ResolvConf, ResolvConf);
        using RouteNetlink inside = RouteNetlink.OpenIn(container.Namespace);
        Step();
        inside.SetUp(inside.FindLink("lo")!.Index);
        using (Microsoft.Win32.SafeHandles.SafeFileHandle target = NetworkNamespace.Open(container.Namespace))
        {
            foreach (InterfaceSpec nic in container.Interfaces)
            {
                using RouteNetlink sandbox = RouteNetlink.OpenIn(nic.SandboxNamespace);
                if (sandbox.FindLink(nic.SandboxVeth) is { } stale)
                {
                    sandbox.TryDeleteLink(stale.Index); // of a removed container whose namespace the kernel is still tearing down
                }

                // Made in the sandbox with the peer straight in the container: nothing passes through the host's namespace.
                Step();
                sandbox.CreateVethPair(nic.SandboxVeth, nic.Name, nic.Mtu, target);
                Link port = sandbox.FindLink(nic.SandboxVeth) ?? throw new InvalidOperationException($"veth {nic.SandboxVeth} vanished from {nic.SandboxNamespace}");
                Step();
                sandbox.SetMaster(port.Index, sandbox.FindLink(SandboxSpec.BridgeName)?.Index ?? throw new InvalidOperationException($"sandbox {nic.SandboxNamespace} has no bridge"));
                Step();
                sandbox.SetUp(port.Index);

                Link inner = inside.FindLink(nic.Name) ?? throw new InvalidOperationException($"{nic.Name} did not arrive in {container.Namespace}");
                Step();
                inside.SetMac(inner.Index, MacText.Parse(nic.Mac));
                (IPAddress address, int length) = ParseCidr(nic.AddressCidr);
                Step();
                inside.AddAddress(inner.Index, address, length);
                Step();
                inside.SetUp(inner.Index);
            }
        }

        if (container.Gateway is { } gateway && container.Interfaces.Count > 0)
        {
            Step();
            inside.AddRoute(null, 0, IPAddress.Parse(gateway), inside.FindLink(container.Interfaces[0].Name)!.Index);
        }
    }

    private void DeleteContainer(string name)
    {
        // Its /etc files first: a crash after the namespace went would leave them unseen (nothing lists them but the sweep).
        string etc = new ContainerNaming(name).EtcDirectory;
        if (Directory.Exists(etc))
        {
            Directory.Delete(etc, recursive: true);
        }

        NamespaceProcesses.KillAll(name); // a process left in it would keep the namespace, and its links, alive
        Step();
        NetworkNamespace.Delete(name);
    }

    /// <summary>Removes /etc/netns entries of this prefix whose namespace is gone (left by a crash, or by an older agent).</summary>
    public void SweepOrphans(string prefix)
    {
        const string EtcNetns = "/etc/netns";
        if (!Directory.Exists(EtcNetns))
        {
            return;
        }

        foreach (string directory in Directory.GetDirectories(EtcNetns, prefix + "*"))
        {
            if (!NetworkNamespace.Exists(Path.GetFileName(directory)))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static (SandboxSpec Spec, HashSet<string> Ports) ObserveSandbox(string name, int vni, List<TunnelSpec> tunnels, List<PeerSpec> peers)
    {
        var ports = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using RouteNetlink netlink = RouteNetlink.OpenIn(name);
            IReadOnlyList<Link> links = netlink.GetLinks();
            Link? bridge = links.FirstOrDefault(l => l.Name == SandboxSpec.BridgeName && l.Kind == "bridge");
            if (bridge is null)
            {
                return (new SandboxSpec(name, vni, "", 0), ports);
            }

            foreach (Link port in links.Where(l => l.MasterIndex == bridge.Index && l.Up))
            {
                ports.Add(port.Name);
            }

            if (KernelTunnels.Observe(name, links, bridge) is { } tunnel)
            {
                tunnels.Add(tunnel);
                peers.AddRange(KernelTunnels.ObservePeers(netlink, name, links.First(l => l.Name == TunnelSpec.DeviceName)));
            }

            InterfaceAddress? address = netlink.GetAddresses().FirstOrDefault(a => a.LinkIndex == bridge.Index && a.Address.AddressFamily == AddressFamily.InterNetwork);
            string gateway = address is null || !bridge.Up ? "" : $"{address.Address}/{address.PrefixLength}";
            return (new SandboxSpec(name, vni, gateway, bridge.Mtu), ports);
        }
        catch (NetlinkException e) when (e.Errno == Errno.EINVAL)
        {
            return (new SandboxSpec(name, vni, "", 0), ports); // a name whose namespace was never mounted (a crash inside Create): remade
        }
    }

    private static ContainerSpec ObserveContainer(string name, string shortId, List<(SandboxSpec Spec, HashSet<string> Ports)> sandboxes)
    {
        try
        {
            using RouteNetlink netlink = RouteNetlink.OpenIn(name);
            IReadOnlyList<Link> links = netlink.GetLinks();
            if (links.FirstOrDefault(l => l.Name == "lo") is not { Up: true })
            {
                return new ContainerSpec(name, [], "(loopback down)");
            }

            IReadOnlyList<InterfaceAddress> addresses = netlink.GetAddresses();
            var interfaces = new List<InterfaceSpec>();
            string veth = HostNames.SandboxVeth(shortId);
            foreach (Link link in links.Where(l => l.Name.StartsWith("eth", StringComparison.Ordinal)).OrderBy(l => l.Name, StringComparer.Ordinal))
            {
                InterfaceAddress? address = addresses.FirstOrDefault(a => a.LinkIndex == link.Index && a.Address.AddressFamily == AddressFamily.InterNetwork);
                string cidr = address is null || !link.Up ? "" : $"{address.Address}/{address.PrefixLength}";

                // Its sandbox: the one whose subnet holds the address and whose bridge has the container's port.
                string sandbox = address is null ? "" : sandboxes.FirstOrDefault(s => s.Ports.Contains(veth) && SameSubnet(s.Spec.GatewayCidr, address)).Spec?.Namespace ?? "";
                string mac = link.Mac is null ? "" : MacText.Format(link.Mac);
                interfaces.Add(new InterfaceSpec(link.Name, sandbox, veth, cidr, mac, link.Mtu));
            }

            Route? fallback = netlink.GetRoutes().FirstOrDefault(r => r.Destination is null && r.Gateway is not null);
            return new ContainerSpec(name, interfaces, fallback?.Gateway?.ToString());
        }
        catch (NetlinkException e) when (e.Errno == Errno.EINVAL)
        {
            return new ContainerSpec(name, [], "(not a namespace)"); // a name whose namespace was never mounted (a crash inside Create): remade
        }
    }

    private static bool SameSubnet(string gatewayCidr, InterfaceAddress address)
    {
        if (gatewayCidr.Length == 0)
        {
            return false;
        }

        (IPAddress gateway, int length) = ParseCidr(gatewayCidr);
        if (length != address.PrefixLength)
        {
            return false;
        }

        uint mask = length == 0 ? 0 : uint.MaxValue << (32 - length);
        return (ToUInt(gateway) & mask) == (ToUInt(address.Address) & mask);
    }

    private static uint ToUInt(IPAddress address)
    {
        byte[] bytes = address.GetAddressBytes();
        return (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
    }

    private static (IPAddress Address, int Length) ParseCidr(string cidr)
    {
        int slash = cidr.IndexOf('/', StringComparison.Ordinal);
        return (IPAddress.Parse(cidr[..slash]), int.Parse(cidr.AsSpan(slash + 1), CultureInfo.InvariantCulture));
    }
}
