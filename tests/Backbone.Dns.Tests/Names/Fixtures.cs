using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Services;
using Backbone.Dns.Names;

namespace Backbone.Dns.Tests.Names;

/// <summary>Hand-built store records for name table tests: ids derive from names, so tests read as names.</summary>
internal static class Fixtures
{
    public const string Node = "node1";

    /// <summary>A 25-character a-z0-9 id starting with <paramref name="seed"/>, as the store's ids look.</summary>
    public static string Id(string seed)
    {
        string clean = new([.. seed.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit)]);
        return (clean + "zzzzzzzzzzzzzzzzzzzzzzzzz")[..25];
    }

    public static string NetworkId(string name) => Id("n" + name);

    public static NetworkRecord Network(string name, bool isInternal = false) => new()
    {
        Id = NetworkId(name),
        Name = name,
        Driver = "overlay",
        Subnet = "10.0.0.0/16",
        Gateway = "10.0.0.1",
        IpRange = "10.0.0.0/16",
        Internal = isInternal,
    };

    /// <summary>The service's attachment to <paramref name="network"/>: its VIP there ("" in dnsrr mode) and aliases.</summary>
    public static ServiceNetwork On(string network, string vip = "", params string[] aliases) => new()
    {
        NetworkId = NetworkId(network),
        NetworkName = network,
        Aliases = aliases,
        Vip = vip,
    };

    public static ServiceRecord Service(string name, string mode, ServiceNetwork[] networks, PublishedPort[]? ports = null, string? idSeed = null) => new()
    {
        Id = Id("s" + (idSeed ?? name)),
        Name = name,
        Replicas = 1,
        EndpointMode = mode,
        Networks = networks,
        Ports = ports ?? [],
        RestartCondition = "any",
        Command = ["sleep", "infinity"],
        Constraints = [],
    };

    public static PublishedPort Port(string name, int target, string protocol = "tcp") => new() { Name = name, Target = target, Protocol = protocol };

    /// <summary>Task <paramref name="slot"/> of <paramref name="service"/> on one network; the same task on two networks keeps its id.</summary>
    public static EndpointRecord Task(ServiceRecord service, int slot, string network, string address, bool running = true, string node = Node, string[]? aliases = null)
    {
        string id = TaskId(service, slot);
        return new EndpointRecord
        {
            Id = id,
            Name = $"{service.Name}.{slot}.{id}",
            NetworkId = NetworkId(network),
            ServiceId = service.Id,
            ServiceName = service.Name,
            Slot = slot,
            Aliases = aliases ?? [],
            Address = address,
            Mac = "02:42:0a:00:00:01",
            NodeId = node,
            NodeAddress = "192.168.50.1",
            Running = running,
        };
    }

    public static string TaskId(ServiceRecord service, int slot) => Id($"t{service.Name}{slot}");

    /// <summary>The task's full name, <c>web.1.&lt;id&gt;</c>.</summary>
    public static string TaskName(ServiceRecord service, int slot) => $"{service.Name}.{slot}.{TaskId(service, slot)}";

    public static EndpointRecord Container(string name, string network, string address, string[]? aliases = null, bool running = true, string node = Node) => new()
    {
        Id = ContainerId(name),
        Name = name,
        NetworkId = NetworkId(network),
        Aliases = aliases ?? [],
        Address = address,
        Mac = "02:42:0a:00:00:02",
        NodeId = node,
        NodeAddress = "192.168.50.1",
        Running = running,
    };

    public static string ContainerId(string name) => Id("c" + name);

    public static NameTable Table(NetworkRecord[] networks, ServiceRecord[] services, EndpointRecord[] endpoints, string[]? downNodes = null, uint ttl = 5) =>
        NameTable.Build(new NameSource(networks, services, endpoints, new HashSet<string>(downNodes ?? [], StringComparer.Ordinal)), new NameTableOptions { Ttl = ttl });

    public static NameScope Scope(params string[] networks) => NameScope.Of([.. networks.Select(NetworkId)]);

    /// <summary>The answer's data (addresses, targets), sorted: the set, whatever the rotation.</summary>
    public static string[] Data(Lookup lookup) => [.. lookup.Answers.Select(r => r.Data).Order(StringComparer.Ordinal)];

    /// <summary>Asserts an answer holding exactly <paramref name="expected"/> (in any order).</summary>
    public static void AssertAnswer(Lookup lookup, params string[] expected)
    {
        Assert.Equal(LookupOutcome.Answer, lookup.Outcome);
        Assert.Equal([.. expected.Order(StringComparer.Ordinal)], Data(lookup));
    }

    public static void AssertOutcome(LookupOutcome expected, Lookup lookup)
    {
        Assert.Equal(expected, lookup.Outcome);
        if (expected != LookupOutcome.Answer)
        {
            Assert.Empty(lookup.Answers);
            Assert.Empty(lookup.Additional);
        }
    }
}
