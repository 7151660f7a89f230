namespace Backbone.Overlay.Reconcile;

/// <summary>One change to the host, as the reconciler orders them; the netlink layer carries each out.</summary>
public abstract record HostAction
{
    /// <summary>Namespace, bridge with the gateway address, MTU, up.</summary>
    public sealed record CreateSandbox(SandboxSpec Sandbox) : HostAction;

    /// <summary>The namespace and all in it.</summary>
    public sealed record DeleteSandbox(string Namespace) : HostAction;

    /// <summary>Namespace with loopback up, veth pair (eth0 inside, the other end on the sandbox bridge), address, MAC, MTU, default route.</summary>
    public sealed record CreateContainer(ContainerSpec Container) : HostAction;

    /// <summary>The namespace (its veth pair goes with it).</summary>
    public sealed record DeleteContainer(string Namespace, string SandboxNamespace, string SandboxVeth) : HostAction;
}
