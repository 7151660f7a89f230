namespace Backbone.Overlay.Reconcile;

/// <summary>
/// A network's sandbox on this host: a namespace holding the network's bridge, which carries the
/// gateway address (and, with the data plane, the VXLAN device). Named after the VNI, which is
/// unique per network, so the kernel's objects alone say which network a sandbox serves.
/// </summary>
public sealed record SandboxSpec(string Namespace, int Vni, string GatewayCidr, int Mtu)
{
    /// <summary>Inside the sandbox's own namespace, so one name serves every network.</summary>
    public const string BridgeName = "br0";
}

/// <summary>
/// One network interface of a container: <see cref="Name"/> (eth0, eth1, ...) inside the
/// container's namespace, one end of a veth pair whose other end (<see cref="SandboxVeth"/>) is a
/// port of its network's bridge in <see cref="SandboxNamespace"/>.
/// </summary>
public sealed record InterfaceSpec(string Name, string SandboxNamespace, string SandboxVeth, string AddressCidr, string Mac, int Mtu);

/// <summary>
/// A container on this host: its namespace with loopback up, one interface per network, and a
/// default route via the first network's gateway (none when it has no network).
/// </summary>
public sealed record ContainerSpec(string Namespace, IReadOnlyList<InterfaceSpec> Interfaces, string? Gateway)
{
    public bool Equals(ContainerSpec? other) =>
        other is not null && Namespace == other.Namespace && Gateway == other.Gateway && Interfaces.SequenceEqual(other.Interfaces);

    public override int GetHashCode() => HashCode.Combine(Namespace, Gateway, Interfaces.Count);

    public bool Uses(string sandboxNamespace) => Interfaces.Any(i => i.SandboxNamespace == sandboxNamespace);
}

/// <summary>
/// A network's VXLAN device in its sandbox: <see cref="DeviceName"/> on the sandbox's bridge,
/// VNI of the network, sending from this host's underlay address <see cref="Local"/> to UDP
/// <see cref="Port"/>, learning off and proxy ARP on, so frames go only where the FDB says and
/// ARP is answered from the neighbour table: no broadcast crosses hosts.
/// </summary>
public sealed record TunnelSpec(string Sandbox, int Vni, string Local, int Port, int Mtu)
{
    public const string DeviceName = "vxlan0";
}

/// <summary>
/// A container on another host, as its network's tunnel on this host must know it: a permanent
/// neighbour entry (<see cref="Address"/> → <see cref="Mac"/>) for proxy ARP, and a static FDB
/// entry (<see cref="Mac"/> → the remote host's underlay address <see cref="Vtep"/>).
/// </summary>
public sealed record PeerSpec(string Sandbox, string Address, string Mac, string Vtep);

/// <summary>What a host has (as observed) or should have (as desired): only objects named with the agent's prefix.</summary>
public sealed record HostState(IReadOnlyList<SandboxSpec> Sandboxes, IReadOnlyList<ContainerSpec> Containers)
{
    public static HostState Empty { get; } = new([], []);

    /// <summary>Sandboxes' VXLAN devices; at most one per sandbox.</summary>
    public IReadOnlyList<TunnelSpec> Tunnels { get; init; } = [];

    /// <summary>Remote containers programmed into the tunnels.</summary>
    public IReadOnlyList<PeerSpec> Peers { get; init; } = [];
}
