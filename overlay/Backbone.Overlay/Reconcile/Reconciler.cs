namespace Backbone.Overlay.Reconcile;

/// <summary>
/// The difference between what a host has and what it should have, as ordered actions: first the
/// containers that must go, then sandboxes that must go, then new sandboxes, then new containers
/// (a container needs its sandbox's bridge). An object that exists but differs from its spec is
/// deleted and created again; a sandbox that is recreated takes its containers with it. Pure and
/// idempotent: once the actions are applied, observing again yields no actions; after a crash
/// midway, observing again yields what is left.
/// </summary>
public static class Reconciler
{
    public static IReadOnlyList<HostAction> Diff(HostState desired, HostState observed)
    {
        var wantSandboxes = desired.Sandboxes.ToDictionary(s => s.Namespace, StringComparer.Ordinal);
        var haveSandboxes = observed.Sandboxes.ToDictionary(s => s.Namespace, StringComparer.Ordinal);
        var wantContainers = desired.Containers.ToDictionary(c => c.Namespace, StringComparer.Ordinal);

        // Sandboxes that go: not wanted, or wanted differently (recreated below).
        var sandboxesGoing = new HashSet<string>(haveSandboxes.Keys.Where(name =>
            !wantSandboxes.TryGetValue(name, out SandboxSpec? want) || want != haveSandboxes[name]), StringComparer.Ordinal);

        var actions = new List<HostAction>();
        var containersKept = new HashSet<string>(StringComparer.Ordinal);
        foreach (ContainerSpec have in observed.Containers.OrderBy(c => c.Namespace, StringComparer.Ordinal))
        {
            bool keep = wantContainers.TryGetValue(have.Namespace, out ContainerSpec? want) && want == have && !have.Interfaces.Any(i => sandboxesGoing.Contains(i.SandboxNamespace));
            if (keep)
            {
                containersKept.Add(have.Namespace);
            }
            else
            {
                actions.Add(new HostAction.DeleteContainer(have));
            }
        }

        foreach (string name in sandboxesGoing.Order(StringComparer.Ordinal))
        {
            actions.Add(new HostAction.DeleteSandbox(name));
        }

        foreach (SandboxSpec want in desired.Sandboxes.OrderBy(s => s.Namespace, StringComparer.Ordinal))
        {
            if (!haveSandboxes.ContainsKey(want.Namespace) || sandboxesGoing.Contains(want.Namespace))
            {
                actions.Add(new HostAction.CreateSandbox(want));
            }
        }

        foreach (ContainerSpec want in desired.Containers.OrderBy(c => c.Namespace, StringComparer.Ordinal))
        {
            if (!containersKept.Contains(want.Namespace))
            {
                if (want.Interfaces.FirstOrDefault(i => !wantSandboxes.ContainsKey(i.SandboxNamespace)) is { } orphan)
                {
                    throw new InvalidOperationException($"container {want.Namespace} needs sandbox {orphan.SandboxNamespace}, which the desired state lacks");
                }

                actions.Add(new HostAction.CreateContainer(want));
            }
        }

        return actions;
    }
}
