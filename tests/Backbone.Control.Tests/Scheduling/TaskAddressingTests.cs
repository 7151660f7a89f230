using Backbone.Control.Networks;
using Backbone.Control.Scheduling;
using Backbone.Control.Services;

namespace Backbone.Control.Tests.Scheduling;

public sealed class TaskAddressingTests
{
    private static readonly NetworkRecord App = Network("n1", "app", "10.0.9.0/24", "10.0.9.1");
    private static readonly NetworkRecord Tiny = Network("n2", "tiny", "10.0.8.0/30", "10.0.8.1"); // one address to hand out: .2

    [Fact]
    public void PlacedTasksGetTheLowestFreeAddressOnEachNetwork()
    {
        var used = new Dictionary<string, HashSet<uint>> { ["n1"] = [Address("10.0.9.2")] }; // a VIP, say
        IReadOnlyList<TaskRecord> tasks = TaskAddressing.Assign(Service(App), [Placed(1), Placed(2), Pending(3)], Networks(App), used);
        Assert.Equal(["10.0.9.3"], tasks[0].Networks.Select(a => a.Address));
        Assert.Equal(["10.0.9.4"], tasks[1].Networks.Select(a => a.Address));
        Assert.Empty(tasks[2].Networks); // no node yet: no address held for it
        Assert.Equal(["alias1"], tasks[0].Networks[0].Aliases);
        Assert.Equal(3, used["n1"].Count); // the picks are counted as taken for the rest of the round
        Assert.Equal("task:t1", tasks[0].AddressOwner);
    }

    [Fact]
    public void ATaskWithoutAnAddressOnSomeNetworkWaitsAndHoldsNone()
    {
        var used = new Dictionary<string, HashSet<uint>>();
        IReadOnlyList<TaskRecord> tasks = TaskAddressing.Assign(Service(App, Tiny), [Placed(1), Placed(2)], Networks(App, Tiny), used);
        Assert.Equal(["10.0.9.2", "10.0.8.2"], tasks[0].Networks.Select(a => a.Address));
        TaskRecord waiting = tasks[1];
        Assert.Equal(("pending", "", ""), (waiting.State, waiting.NodeId, waiting.NodeName));
        Assert.Contains("no free address on network \"tiny\"", waiting.Message, StringComparison.Ordinal);
        Assert.Empty(waiting.Networks);
        Assert.Equal([Address("10.0.9.2")], used["n1"]); // its pick on "app" went back
    }

    [Fact]
    public void ATaskOfARemovedNetworkWaitsWithTheReason()
    {
        TaskRecord task = Assert.Single(TaskAddressing.Assign(Service(App), [Placed(1)], Networks(), new Dictionary<string, HashSet<uint>>()));
        Assert.Equal("pending", task.State);
        Assert.Equal("network \"app\" no longer exists", task.Message);
    }

    private static uint Address(string ip) => Ipv4Cidr.TryParseAddress(ip, out uint address) ? address : throw new ArgumentException(ip);

    private static Dictionary<string, NetworkRecord> Networks(params NetworkRecord[] networks) => networks.ToDictionary(n => n.Id);

    private static NetworkRecord Network(string id, string name, string subnet, string gateway) => new()
    {
        Id = id, Name = name, Driver = "overlay", Subnet = subnet, Gateway = gateway, IpRange = subnet, Vni = 4096, Mtu = 1450,
    };

    private static TaskRecord Placed(int slot) => new() { Id = $"t{slot}", ServiceId = "s1", ServiceName = "web", Slot = slot, NodeId = "a1", NodeName = "h1", State = "assigned" };

    private static TaskRecord Pending(int slot) => new() { Id = $"t{slot}", ServiceId = "s1", ServiceName = "web", Slot = slot, State = "pending" };

    private static ServiceRecord Service(params NetworkRecord[] networks) => new()
    {
        Id = "s1", Name = "web", Replicas = 3, EndpointMode = "vip", Ports = [], RestartCondition = "any", Command = ["sleep", "1"], Constraints = [],
        Networks = [.. networks.Select(n => new ServiceNetwork { NetworkId = n.Id, NetworkName = n.Name, Aliases = ["alias1"] })],
    };
}
