using Backbone.Overlay.Reconcile;

namespace Backbone.Overlay.Tests.Reconcile;

public sealed class ReconcilerTests
{
    private static readonly SandboxSpec App = Sandbox(4096, "10.0.0.1/24");
    private static readonly SandboxSpec Db = Sandbox(4097, "10.0.1.1/24");

    [Fact]
    public void BuildsSandboxesBeforeTheirContainers()
    {
        HostState desired = new([App], [Container("task1aaaaaaaaaaa", App, "10.0.0.2"), Container("task2aaaaaaaaaaa", App, "10.0.0.3")]);
        IReadOnlyList<HostAction> actions = Reconciler.Diff(desired, HostState.Empty);
        Assert.IsType<HostAction.CreateSandbox>(actions[0]);
        Assert.Equal(2, actions.OfType<HostAction.CreateContainer>().Count());
        AssertConverges(new FakeHost(), desired);
    }

    [Fact]
    public void RemovingTheLastContainerOfANetworkRemovesItsSandbox()
    {
        var host = new FakeHost();
        AssertConverges(host, new([App, Db], [Container("task1aaaaaaaaaaa", App, "10.0.0.2"), Container("task9aaaaaaaaaaa", Db, "10.0.1.2")]));
        IReadOnlyList<HostAction> actions = Reconciler.Diff(new([App], [Container("task1aaaaaaaaaaa", App, "10.0.0.2")]), host.Observe());
        Assert.Equal([typeof(HostAction.DeleteContainer), typeof(HostAction.DeleteSandbox)], actions.Select(a => a.GetType()));
        Assert.Equal(Db.Namespace, ((HostAction.DeleteSandbox)actions[1]).Namespace);
    }

    [Fact]
    public void ADifferentSpecIsRecreatedWithWhatDependsOnIt()
    {
        var host = new FakeHost();
        AssertConverges(host, new([App], [Container("task1aaaaaaaaaaa", App, "10.0.0.2")]));

        // The network's MTU changed: the sandbox and its container are made again; nothing else.
        SandboxSpec smaller = App with { Mtu = 1400 };
        HostState desired = new([smaller], [Container("task1aaaaaaaaaaa", smaller, "10.0.0.2")]);
        Assert.Equal(
            [typeof(HostAction.DeleteContainer), typeof(HostAction.DeleteSandbox), typeof(HostAction.CreateSandbox), typeof(HostAction.CreateContainer)],
            Reconciler.Diff(desired, host.Observe()).Select(a => a.GetType()));
        AssertConverges(host, desired);
    }

    [Fact]
    public void AnAgentKilledMidwayConvergesWithNoLeftovers()
    {
        HostState desired = new([App, Db], [
            Container("task1aaaaaaaaaaa", App, "10.0.0.2"), Container("task2aaaaaaaaaaa", App, "10.0.0.3"), Container("task3aaaaaaaaaaa", Db, "10.0.1.2")]);
        for (int appliedBeforeCrash = 0; appliedBeforeCrash <= 5; appliedBeforeCrash++)
        {
            var host = new FakeHost();
            foreach (HostAction action in Reconciler.Diff(desired, HostState.Empty).Take(appliedBeforeCrash))
            {
                host.Apply(action);
            }

            // The restarted agent observes the half-made host and finishes the job.
            AssertConverges(host, desired);
            Assert.Equal(2, host.Observe().Sandboxes.Count);
            Assert.Equal(3, host.Observe().Containers.Count);
        }

        // And everything goes when nothing is wanted (swarm leave).
        var full = new FakeHost();
        AssertConverges(full, desired);
        AssertConverges(full, HostState.Empty);
        Assert.Equal(HostState.Empty.Sandboxes, full.Observe().Sandboxes);
        Assert.Empty(full.Observe().Containers);
    }

    [Fact]
    public void AContainerOnTwoNetworksNeedsBothSandboxesAndGoesWithEither()
    {
        var host = new FakeHost();
        ContainerSpec both = Container("task1aaaaaaaaaaa", (App, "10.0.0.2"), (Db, "10.0.1.2"));
        AssertConverges(host, new([App, Db], [both]));
        Assert.Equal(["eth0", "eth1"], host.Observe().Containers.Single().Interfaces.Select(i => i.Name));
        Assert.Equal(both, host.Observe().Containers.Single() with { }); // equal by value, interface list included

        // Db's sandbox is remade (its MTU changed): the container on it goes and comes back too.
        SandboxSpec smallerDb = Db with { Mtu = 1400 };
        ContainerSpec remade = Container("task1aaaaaaaaaaa", (App, "10.0.0.2"), (smallerDb, "10.0.1.2"));
        IReadOnlyList<HostAction> actions = Reconciler.Diff(new([App, smallerDb], [remade]), host.Observe());
        Assert.Equal([typeof(HostAction.DeleteContainer), typeof(HostAction.DeleteSandbox), typeof(HostAction.CreateSandbox), typeof(HostAction.CreateContainer)], actions.Select(a => a.GetType()));
        Assert.Throws<InvalidOperationException>(() => Reconciler.Diff(new([App], [remade]), host.Observe())); // a desired state missing a sandbox is a bug, not a plan
    }

    [Fact]
    public void NamesFitTheKernelAndMacsFollowAddresses()
    {
        Assert.Equal("bb-sb-4096", HostNames.Sandbox(HostNames.DefaultPrefix, 4096));
        Assert.Equal("bb-c-abcdefghijkl", HostNames.Container(HostNames.DefaultPrefix, "abcdefghijklmnopqrstuvwxy"));
        Assert.Equal("veabcdefghijkl", HostNames.SandboxVeth("abcdefghijklmnopqrstuvwxy"));
        Assert.True(HostNames.SandboxVeth("abcdefghijklmnopqrstuvwxy").Length <= 15);
        Assert.Equal("02:42:0a:00:09:02", HostNames.MacFor("10.0.9.2"));
        Assert.Throws<ArgumentException>(() => HostNames.MacFor("10.0.9"));
    }

    [Fact]
    public void TunnelsComeAfterTheirSandboxAndPeersAfterTheirTunnel()
    {
        HostState desired = WithTunnel([Peer(App, "10.0.0.7", "192.168.9.2"), Peer(App, "10.0.0.8", "192.168.9.3")], Container("task1aaaaaaaaaaa", App, "10.0.0.2"));
        IReadOnlyList<HostAction> actions = Reconciler.Diff(desired, HostState.Empty);
        Assert.Equal(
            [typeof(HostAction.CreateSandbox), typeof(HostAction.CreateTunnel), typeof(HostAction.UpdatePeers), typeof(HostAction.CreateContainer)],
            actions.Select(a => a.GetType()));
        AssertConverges(new FakeHost(), desired);
    }

    [Fact]
    public void OnlyThePeersThatChangeAreTouched()
    {
        var host = new FakeHost();
        ContainerSpec local = Container("task1aaaaaaaaaaa", App, "10.0.0.2");
        PeerSpec stays = Peer(App, "10.0.0.7", "192.168.9.2");
        PeerSpec goes = Peer(App, "10.0.0.8", "192.168.9.3");
        AssertConverges(host, WithTunnel([stays, goes], local));

        // A remote task went, another came, one moved to another host (same address and MAC, new VTEP).
        PeerSpec comes = Peer(App, "10.0.0.9", "192.168.9.3");
        PeerSpec moved = stays with { Vtep = "192.168.9.4" };
        HostState desired = WithTunnel([moved, comes], local);
        IReadOnlyList<HostAction> actions = Reconciler.Diff(desired, host.Observe());
        Assert.Equal([new HostAction.UpdatePeers(App.Namespace, [stays, goes], [moved, comes])], actions); // one batch for the sandbox
        AssertConverges(host, desired);
    }

    [Fact]
    public void ATunnelMadeAgainGetsEveryPeerAndLeavesTheContainersAlone()
    {
        var host = new FakeHost();
        ContainerSpec local = Container("task1aaaaaaaaaaa", App, "10.0.0.2");
        PeerSpec peer = Peer(App, "10.0.0.7", "192.168.9.2");
        AssertConverges(host, WithTunnel([peer], local));

        // The data port changed: the device is made again, with its entries; the sandbox and container stay.
        HostState desired = new HostState([App], [local]) { Tunnels = [Tunnel(App) with { Port = 4790 }], Peers = [peer] };
        Assert.Equal(
            [typeof(HostAction.DeleteTunnel), typeof(HostAction.CreateTunnel), typeof(HostAction.UpdatePeers)],
            Reconciler.Diff(desired, host.Observe()).Select(a => a.GetType()));
        AssertConverges(host, desired);

        // No tunnel wanted any more (an encrypted network, or no underlay): it goes, its peers with it.
        HostState local0 = new([App], [local]);
        Assert.Equal([typeof(HostAction.DeleteTunnel)], Reconciler.Diff(local0, host.Observe()).Select(a => a.GetType()));
        AssertConverges(host, local0);
    }

    private static TunnelSpec Tunnel(SandboxSpec sandbox) => new(sandbox.Namespace, sandbox.Vni, "192.168.9.1", 4789, 1450);

    private static PeerSpec Peer(SandboxSpec sandbox, string ip, string vtep) => new(sandbox.Namespace, ip, HostNames.MacFor(ip), vtep);

    private static HostState WithTunnel(PeerSpec[] peers, params ContainerSpec[] containers) =>
        new HostState([App], containers) { Tunnels = [Tunnel(App)], Peers = peers };

    /// <summary>Applies the diff, then checks that the host matches and a second diff is empty (idempotent).</summary>
    private static void AssertConverges(FakeHost host, HostState desired)
    {
        foreach (HostAction action in Reconciler.Diff(desired, host.Observe()))
        {
            host.Apply(action);
        }

        Assert.Empty(Reconciler.Diff(desired, host.Observe()));
        Assert.Equal(desired.Sandboxes.OrderBy(s => s.Namespace), host.Observe().Sandboxes.OrderBy(s => s.Namespace));
        Assert.Equal(desired.Containers.OrderBy(c => c.Namespace), host.Observe().Containers.OrderBy(c => c.Namespace));
        Assert.Equal(desired.Tunnels.OrderBy(t => t.Sandbox), host.Observe().Tunnels.OrderBy(t => t.Sandbox));
        Assert.Equal(desired.Peers.OrderBy(p => p.Address), host.Observe().Peers.OrderBy(p => p.Address));
    }

    private static SandboxSpec Sandbox(int vni, string gateway) => new(HostNames.Sandbox("bbt-", vni), vni, gateway, 1450);

    private static ContainerSpec Container(string taskId, SandboxSpec sandbox, string ip) => Container(taskId, (sandbox, ip));

    private static ContainerSpec Container(string taskId, params (SandboxSpec Sandbox, string Ip)[] networks) => new(
        HostNames.Container("bbt-", taskId),
        [.. networks.Select((n, i) => new InterfaceSpec($"eth{i}", n.Sandbox.Namespace, HostNames.SandboxVeth(taskId), n.Ip + "/24", HostNames.MacFor(n.Ip), n.Sandbox.Mtu))],
        networks.Length == 0 ? null : networks[0].Sandbox.GatewayCidr.Split('/')[0]);
}
