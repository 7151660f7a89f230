namespace Backbone.Overlay.Reconcile;

/// <summary>
/// The difference between what a host has and what it should have, as ordered actions: first the
/// containers that must go, then sandboxes that must go, then new sandboxes, then the tunnels
/// (VXLAN devices) that go or come, then the peers (remote containers' FDB and neighbour entries)
/// that go or come, one action per sandbox (the kernel takes them as one batch), then new
/// containers (a container needs its sandbox's bridge). A tunnel made again, or in a new sandbox,
/// gets every peer; otherwise only the peers that differ change. An object that exists but
/// differs from its spec is deleted and created again; a sandbox that is recreated takes its containers with it. Pure and
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

        AddTunnelActions(desired, observed, sandboxesGoing, actions);

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

    private static void AddTunnelActions(HostState desired, HostState observed, HashSet<string> sandboxesGoing, List<HostAction> actions)
    {
        var wantTunnels = desired.Tunnels.ToDictionary(t => t.Sandbox, StringComparer.Ordinal);
        var haveTunnels = observed.Tunnels.Where(t => !sandboxesGoing.Contains(t.Sandbox)).ToDictionary(t => t.Sandbox, StringComparer.Ordinal);
        var wantSandboxes = new HashSet<string>(desired.Sandboxes.Select(s => s.Namespace), StringComparer.Ordinal);

        // Tunnels that go: unwanted (in a sandbox that stays), or wanted differently (made again below).
        var fresh = new HashSet<string>(StringComparer.Ordinal);
        foreach (TunnelSpec have in haveTunnels.Values.OrderBy(t => t.Sandbox, StringComparer.Ordinal))
        {
            if (!wantTunnels.TryGetValue(have.Sandbox, out TunnelSpec? want) || want != have)
            {
                actions.Add(new HostAction.DeleteTunnel(have.Sandbox));
            }
        }

        foreach (TunnelSpec want in desired.Tunnels.OrderBy(t => t.Sandbox, StringComparer.Ordinal))
        {
            if (!wantSandboxes.Contains(want.Sandbox))
            {
                throw new InvalidOperationException($"tunnel VNI {want.Vni} needs sandbox {want.Sandbox}, which the desired state lacks");
            }

            if (!haveTunnels.TryGetValue(want.Sandbox, out TunnelSpec? have) || have != want)
            {
                actions.Add(new HostAction.CreateTunnel(want));
                fresh.Add(want.Sandbox);
            }
        }

        // Peers: all of them on a fresh tunnel; elsewhere only what differs. Entries on a tunnel
        // that goes go with it.
        var wantPeers = new HashSet<PeerSpec>(desired.Peers.Where(p => wantTunnels.ContainsKey(p.Sandbox)));
        var havePeers = new HashSet<PeerSpec>(observed.Peers.Where(p => haveTunnels.ContainsKey(p.Sandbox) && wantTunnels.ContainsKey(p.Sandbox) && !fresh.Contains(p.Sandbox)));
        var removed = havePeers.Where(p => !wantPeers.Contains(p)).ToLookup(p => p.Sandbox, StringComparer.Ordinal);
        var added = wantPeers.Where(p => !havePeers.Contains(p)).ToLookup(p => p.Sandbox, StringComparer.Ordinal);
        foreach (string sandbox in removed.Select(g => g.Key).Union(added.Select(g => g.Key), StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            actions.Add(new HostAction.UpdatePeers(sandbox, Ordered(removed[sandbox]), Ordered(added[sandbox])));
        }
    }

    private static PeerSpec[] Ordered(IEnumerable<PeerSpec> peers) =>
        [.. peers.OrderBy(p => p.Address, StringComparer.Ordinal).ThenBy(p => p.Mac, StringComparer.Ordinal)];
}
