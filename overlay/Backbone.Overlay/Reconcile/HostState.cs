namespace Backbone.Overlay.Reconcile;

/// <summary>
/// A network's sandbox on this host: a namespace holding the network's bridge, which carries the
/// gateway address (and, with the data plane, the VXLAN device).
/// </summary>
public sealed record SandboxSpec(string Namespace, string NetworkId, int Vni, string GatewayCidr, int Mtu)
{
    /// <summary>Inside the sandbox's own namespace, so one name serves every network.</summary>
    public const string BridgeName = "br0";
}

/// <summary>
/// A container on this host: its namespace, with <c>eth0</c> (one end of a veth pair) holding its
/// address, and the other end (<see cref="SandboxVeth"/>) enslaved to its network's bridge.
/// </summary>
public sealed record ContainerSpec(string Namespace, string TaskId, string SandboxNamespace, string SandboxVeth, string AddressCidr, string Mac, string Gateway, int Mtu)
{
    public const string InterfaceName = "eth0";
}

/// <summary>What a host has (as observed) or should have (as desired): only objects named with the agent's prefix.</summary>
public sealed record HostState(IReadOnlyList<SandboxSpec> Sandboxes, IReadOnlyList<ContainerSpec> Containers)
{
    public static HostState Empty { get; } = new([], []);
}
