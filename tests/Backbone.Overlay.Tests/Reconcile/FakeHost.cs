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

    public HostState Observe() => new([.. sandboxes.Values], [.. containers.Values]);

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
