using Backbone.Control.Containers;
using Backbone.Control.Networks;
using Backbone.Control.Scheduling;
using Backbone.Control.Services;
using Backbone.Overlay.Agent;
using Backbone.Overlay.Reconcile;

namespace Backbone.Overlay.Tests.Agent;

public sealed class DesiredHostTests
{
    private static readonly NetworkRecord App = Network("n1", 4096, "10.0.9.0/24", "10.0.9.1", 1450);
    private static readonly NetworkRecord Db = Network("n2", 4097, "10.0.10.0/24", "10.0.10.1", 1400);
    private static readonly ServiceRecord Web = Service("s1", App, Db);

    [Fact]
    public void TasksOfThisNodeBecomeContainersOnTheirNetworksSandboxes()
    {
        TaskRecord[] tasks =
        [
            Task("aaaaaaaaaaaaaaaaaaaaaaaaa", "me", ("n1", "10.0.9.2"), ("n2", "10.0.10.2")),
            Task("bbbbbbbbbbbbbbbbbbbbbbbbb", "other", ("n1", "10.0.9.3")), // another node's
            Task("ccccccccccccccccccccccccc", "me", ("n1", "10.0.9.4")) with { State = "pending" },
        ];
        DesiredHost host = DesiredHost.Build("me", "bb-", tasks, [], Networks(App, Db), new Dictionary<string, ServiceRecord> { ["s1"] = Web });

        Assert.Equal([new SandboxSpec("bb-sb-4096", 4096, "10.0.9.1/24", 1450), new SandboxSpec("bb-sb-4097", 4097, "10.0.10.1/24", 1400)], host.State.Sandboxes);
        ContainerSpec container = Assert.Single(host.State.Containers);
        Assert.Equal("bb-c-aaaaaaaaaaaa", container.Namespace);
        Assert.Equal("10.0.9.1", container.Gateway); // via the first network
        Assert.Equal(
            [
                new InterfaceSpec("eth0", "bb-sb-4096", "veaaaaaaaaaaaa", "10.0.9.2/24", "02:42:0a:00:09:02", 1450),
                new InterfaceSpec("eth1", "bb-sb-4097", "veaaaaaaaaaaaa", "10.0.10.2/24", "02:42:0a:00:0a:02", 1400),
            ],
            container.Interfaces);
        Workload workload = Assert.Single(host.Workloads);
        Assert.Equal(["sleep", "1"], workload.Command);
        Assert.Equal(("on-failure", "bb-c-aaaaaaaaaaaa"), (workload.RestartCondition, workload.Container.Namespace));
        Assert.Equal("/etc/netns/bb-c-aaaaaaaaaaaa/resolv.conf", workload.Container.ResolvConf);
    }

    [Fact]
    public void NetworksWithALocalContainerGetATunnelToEveryOtherHostsContainers()
    {
        NetworkRecord secret = Network("n3", 4098, "10.0.11.0/24", "10.0.11.1", 1450) with { Encrypted = true };
        ServiceRecord both = Service("s2", App, secret);
        TaskRecord[] tasks = [Task("aaaaaaaaaaaaaaaaaaaaaaaaa", "me", ("n1", "10.0.9.2"), ("n3", "10.0.11.2")) with { ServiceId = "s2" }];
        Backbone.Control.Endpoints.EndpointRecord[] endpoints =
        [
            Endpoint("aaaaaaaaaaaaaaaaaaaaaaaaa", "n1", "10.0.9.2", "me", "192.168.9.1"), // ours: no peer
            Endpoint("bbbbbbbbbbbbbbbbbbbbbbbbb", "n1", "10.0.9.3", "two", "192.168.9.2"),
            Endpoint("ccccccccccccccccccccccccc", "n1", "10.0.9.4", "three", "192.168.9.3"), // on a host known to be down
            Endpoint("ddddddddddddddddddddddddd", "n2", "10.0.10.5", "two", "192.168.9.2"), // a network with nothing here
            Endpoint("eeeeeeeeeeeeeeeeeeeeeeeee", "n3", "10.0.11.3", "two", "192.168.9.2"), // encrypted: never in cleartext
        ];
        DesiredHost host = DesiredHost.Build("me", "bb-", tasks, [], Networks(App, Db, secret), new Dictionary<string, ServiceRecord> { ["s2"] = both },
            endpoints, new DataPlane("192.168.9.1", 4789), new HashSet<string> { "three" });

        Assert.Equal([new TunnelSpec("bb-sb-4096", 4096, "192.168.9.1", 4789, 1450)], host.State.Tunnels);
        Assert.Equal([new PeerSpec("bb-sb-4096", "10.0.9.3", "02:42:0a:00:09:03", "192.168.9.2")], host.State.Peers);
        Assert.Equal(["bb-sb-4096", "bb-sb-4098"], host.State.Sandboxes.Select(s => s.Namespace)); // the encrypted one stays local

        DesiredHost noUnderlay = DesiredHost.Build("me", "bb-", tasks, [], Networks(App, Db, secret), new Dictionary<string, ServiceRecord> { ["s2"] = both }, endpoints);
        Assert.Empty(noUnderlay.State.Tunnels);
        Assert.Empty(noUnderlay.State.Peers);
    }

    private static Backbone.Control.Endpoints.EndpointRecord Endpoint(string id, string network, string ip, string node, string nodeAddress) => new()
    {
        Id = id, Name = "t." + id, NetworkId = network, Address = ip, Mac = HostNames.MacFor(ip), NodeId = node, NodeAddress = nodeAddress, Running = true,
    };

    [Fact]
    public void StandaloneContainersOfThisNodeRunBesideTasks()
    {
        ContainerRecord mine = new()
        {
            Id = "ddddddddddddddddddddddddd", Name = "probe", NodeId = "me", NodeName = "me", Command = ["sleep", "infinity"], RestartCondition = "none",
            Networks = [new TaskAttachment { NetworkId = "n2", NetworkName = "n2", Address = "10.0.10.9", Aliases = ["dbg"] }],
        };
        DesiredHost host = DesiredHost.Build("me", "bb-", [], [mine, mine with { Id = "eeeeeeeeeeeeeeeeeeeeeeeee", NodeId = "other" }], Networks(App, Db), new Dictionary<string, ServiceRecord>());
        Assert.Equal(["bb-sb-4097"], host.State.Sandboxes.Select(s => s.Namespace));
        Assert.Equal("bb-c-dddddddddddd", Assert.Single(host.State.Containers).Namespace);
        Workload workload = Assert.Single(host.Workloads);
        Assert.False(workload.IsTask);
        Assert.Equal(("probe", "none", 0), (workload.Name, workload.RestartCondition, workload.Slot));
    }

    [Fact]
    public void ATaskWhoseNetworkOrServiceIsGoneWaits()
    {
        TaskRecord[] tasks = [Task("aaaaaaaaaaaaaaaaaaaaaaaaa", "me", ("n1", "10.0.9.2"), ("n2", "10.0.10.2"))];
        Assert.Empty(DesiredHost.Build("me", "bb-", tasks, [], Networks(App), new Dictionary<string, ServiceRecord> { ["s1"] = Web }).State.Containers);
        Assert.Empty(DesiredHost.Build("me", "bb-", tasks, [], Networks(App, Db), new Dictionary<string, ServiceRecord>()).State.Containers);
        Assert.Equal(HostState.Empty.Sandboxes, DesiredHost.Build("me", "bb-", [], [], Networks(App, Db), new Dictionary<string, ServiceRecord>()).State.Sandboxes); // no task: no sandbox
    }

    private static Dictionary<string, NetworkRecord> Networks(params NetworkRecord[] networks) => networks.ToDictionary(n => n.Id);

    private static NetworkRecord Network(string id, int vni, string subnet, string gateway, int mtu) => new()
    {
        Id = id, Name = id, Driver = "overlay", Subnet = subnet, Gateway = gateway, IpRange = subnet, Vni = vni, Mtu = mtu,
    };

    private static TaskRecord Task(string id, string node, params (string Network, string Ip)[] attachments) => new()
    {
        Id = id, ServiceId = "s1", ServiceName = "web", Slot = 1, NodeId = node, NodeName = node, State = "assigned",
        Networks = [.. attachments.Select(a => new TaskAttachment { NetworkId = a.Network, NetworkName = a.Network, Address = a.Ip })],
    };

    private static ServiceRecord Service(string id, params NetworkRecord[] networks) => new()
    {
        Id = id, Name = "web", Replicas = 1, EndpointMode = "vip", Ports = [], RestartCondition = "on-failure", Command = ["sleep", "1"], Constraints = [],
        Networks = [.. networks.Select(n => new ServiceNetwork { NetworkId = n.Id, NetworkName = n.Name, Aliases = [] })],
    };
}
