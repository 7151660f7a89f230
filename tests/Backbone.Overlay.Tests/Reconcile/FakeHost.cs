using Backbone.Overlay.Reconcile;

namespace Backbone.Overlay.Tests.Reconcile;

/// <summary>
/// An in-memory host standing in for the kernel in the reconciler's tests (the netlink client is
/// tested against the real kernel, as root). It refuses what the kernel would refuse: a
/// namespace made twice, a container without its sandbox, deleting what is not there.
/// </summary>
internal sealed class FakeHost
{
    private readonly Dictionary<string, SandboxSpec> sandboxes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ContainerSpec> containers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TunnelSpec> tunnels = new(StringComparer.Ordinal);
    private readonly List<PeerSpec> peers = [];

    public HostState Observe() => new([.. sandboxes.Values], [.. containers.Values]) { Tunnels = [.. tunnels.Values], Peers = [.. peers] };

    public void Apply(HostAction action)
    {
        switch (action)
        {
            case HostAction.CreateSandbox create:
                Assert.True(sandboxes.TryAdd(create.Sandbox.Namespace, create.Sandbox), $"namespace {create.Sandbox.Namespace} exists already");
                break;
            case HostAction.DeleteSandbox delete:
                Assert.DoesNotContain(containers.Values, c => c.Uses(delete.Namespace)); // its veths would dangle
                Assert.True(sandboxes.Remove(delete.Namespace), $"no namespace {delete.Namespace}");
                tunnels.Remove(delete.Namespace); // the tunnel and its entries go with the namespace
                peers.RemoveAll(p => p.Sandbox == delete.Namespace);
                break;
            case HostAction.CreateTunnel create:
                Assert.True(sandboxes.ContainsKey(create.Tunnel.Sandbox), $"no sandbox {create.Tunnel.Sandbox} for its tunnel");
                Assert.True(tunnels.TryAdd(create.Tunnel.Sandbox, create.Tunnel), $"{create.Tunnel.Sandbox} has a tunnel already");
                break;
            case HostAction.DeleteTunnel delete:
                Assert.True(tunnels.Remove(delete.Sandbox), $"no tunnel in {delete.Sandbox}");
                peers.RemoveAll(p => p.Sandbox == delete.Sandbox);
                break;
            case HostAction.UpdatePeers update:
                Assert.True(tunnels.ContainsKey(update.Sandbox), $"no tunnel in {update.Sandbox} for its peers");
                Assert.All(update.Removed.Concat(update.Added), p => Assert.Equal(update.Sandbox, p.Sandbox));
                Assert.All(update.Removed, p => Assert.True(peers.Remove(p), $"no peer {p}"));
                foreach (PeerSpec add in update.Added)
                {
                    peers.RemoveAll(p => p.Sandbox == add.Sandbox && (p.Address == add.Address || p.Mac == add.Mac)); // the kernel replaces by address (neigh) and MAC (fdb)
                    peers.Add(add);
                }

                break;
            case HostAction.CreateContainer create:
                Assert.All(create.Container.Interfaces, i => Assert.True(sandboxes.ContainsKey(i.SandboxNamespace), $"no sandbox {i.SandboxNamespace} for {create.Container.Namespace}"));
                Assert.True(containers.TryAdd(create.Container.Namespace, create.Container), $"namespace {create.Container.Namespace} exists already");
                break;
            case HostAction.DeleteContainer delete:
                Assert.True(containers.Remove(delete.Container.Namespace), $"no namespace {delete.Container.Namespace}");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, "unknown action");
        }
    }
}
