namespace Backbone.Overlay.Reconcile;

/// <summary>One change to the host, as the reconciler orders them; the netlink layer carries each out.</summary>
public abstract record HostAction
{
    /// <summary>Namespace, bridge with the gateway address, MTU, up.</summary>
    public sealed record CreateSandbox(SandboxSpec Sandbox) : HostAction;

    /// <summary>The namespace and all in it.</summary>
    public sealed record DeleteSandbox(string Namespace) : HostAction;

    /// <summary>Namespace with loopback up, per network a veth pair (inside: address, MAC, MTU; the other end on the sandbox bridge), default route, resolv.conf.</summary>
    public sealed record CreateContainer(ContainerSpec Container) : HostAction;

    /// <summary>The container's processes, its namespace (its veth pairs go with it) and its resolv.conf.</summary>
    public sealed record DeleteContainer(ContainerSpec Container) : HostAction;

    /// <summary>The sandbox's VXLAN device: made in this host's namespace (its UDP socket stays there), moved into the sandbox, on the bridge, up.</summary>
    public sealed record CreateTunnel(TunnelSpec Tunnel) : HostAction;

    /// <summary>The sandbox's VXLAN device, with every FDB and neighbour entry on it.</summary>
    public sealed record DeleteTunnel(string Sandbox) : HostAction;

    /// <summary>
    /// The remote containers of one sandbox's tunnel that change: <paramref name="Removed"/>'s
    /// neighbour and FDB entries (as observed) go, then <paramref name="Added"/>'s come (replacing
    /// any for their address or MAC). One action per sandbox, so the kernel gets them as one batch.
    /// </summary>
    public sealed record UpdatePeers(string Sandbox, IReadOnlyList<PeerSpec> Removed, IReadOnlyList<PeerSpec> Added) : HostAction
    {
        public bool Equals(UpdatePeers? other) =>
            other is not null && Sandbox == other.Sandbox && Removed.SequenceEqual(other.Removed) && Added.SequenceEqual(other.Added);

        public override int GetHashCode() => HashCode.Combine(Sandbox, Removed.Count, Added.Count);
    }
}
