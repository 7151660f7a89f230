using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Services;
using Backbone.Dns.Names;

namespace Backbone.Dns.Micro;

/// <summary>
/// The table the benchmarks answer from, the same data bench/dns serves: network <c>bench</c>
/// with 1,000 containers <c>svc0..svc999</c>, a dnsrr service <c>rr</c> of 10 running tasks
/// with a published port (an SRV name).
/// </summary>
internal static class BenchTable
{
    public const string NetworkId = "nbenchzzzzzzzzzzzzzzzzzzz";

    public static NameTable Build()
    {
        var network = new NetworkRecord { Id = NetworkId, Name = "bench", Driver = "overlay", Subnet = "10.0.0.0/16", Gateway = "10.0.0.1", IpRange = "10.0.0.0/16" };
        var rr = new ServiceRecord
        {
            Id = "srrzzzzzzzzzzzzzzzzzzzzzz",
            Name = "rr",
            Replicas = 10,
            EndpointMode = "dnsrr",
            Networks = [new ServiceNetwork { NetworkId = NetworkId, NetworkName = "bench", Aliases = [], Vip = "" }],
            Ports = [new PublishedPort { Name = "http", Target = 80, Protocol = "tcp" }],
            RestartCondition = "any",
            Command = ["sleep", "infinity"],
            Constraints = [],
        };
        List<EndpointRecord> endpoints = [];
        for (int i = 0; i < 1000; i++)
        {
            endpoints.Add(Endpoint($"c{i:d24}", $"svc{i}", $"10.0.{(i / 250) + 1}.{(i % 250) + 1}", serviceId: "", slot: 0));
        }

        for (int slot = 1; slot <= 10; slot++)
        {
            string id = $"t{slot:d24}";
            endpoints.Add(Endpoint(id, $"rr.{slot}.{id}", $"10.0.9.{slot}", rr.Id, slot));
        }

        return NameTable.Build(new NameSource([network], [rr], endpoints, new HashSet<string>(StringComparer.Ordinal)), new NameTableOptions { Ttl = 5 });
    }

    private static EndpointRecord Endpoint(string id, string name, string address, string serviceId, int slot) => new()
    {
        Id = id,
        Name = name,
        NetworkId = NetworkId,
        ServiceId = serviceId,
        ServiceName = serviceId.Length == 0 ? "" : "rr",
        Slot = slot,
        Aliases = [],
        Address = address,
        Mac = "02:42:0a:00:00:01",
        NodeId = "node1",
        NodeAddress = "127.0.0.1",
        Running = true,
    };
}
