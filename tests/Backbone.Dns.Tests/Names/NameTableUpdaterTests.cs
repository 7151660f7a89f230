using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Nodes;
using Backbone.Control.Services;
using Backbone.Dns.Names;
using Xunit.Abstractions;

namespace Backbone.Dns.Tests.Names;

/// <summary>
/// The incremental table against the full build: random puts and deletes of networks, services,
/// endpoints and reachability reports, drawn from small pools so that names, aliases, addresses
/// and VIPs collide often; after every commit the updater's table must dump exactly as
/// <see cref="NameTable.Build"/> over the same records (kept here in a plain sorted map, not the
/// updater's model), and the table before the commit must be unchanged.
/// The seed is printed; set BACKBONE_NAMES_SEED to replay one run.
/// </summary>
public sealed class NameTableUpdaterTests(ITestOutputHelper output)
{
    private const string SeedVariable = "BACKBONE_NAMES_SEED";
    private const int Runs = 12;
    private const int StepsPerRun = 300;

    [Fact]
    public void EveryCommitEqualsAFullBuildOfTheSameRecords()
    {
        foreach (int seed in Seeds())
        {
            output.WriteLine($"names seed {seed} (replay: {SeedVariable}={seed})");
            new Run(seed).Check();
        }
    }

    [Fact]
    public void AnEndpointChangeReplacesOnlyTheKeysItTouches()
    {
        var updater = new NameTableUpdater(new NameTableOptions());
        NetworkRecord front = Fixtures.Network("front");
        ServiceRecord web = Fixtures.Service("web", "dnsrr", [Fixtures.On("front")]);
        ServiceRecord api = Fixtures.Service("api", "vip", [Fixtures.On("front", "10.0.0.2")]);
        updater.PutNetwork("/bb/networks/" + front.Id, front);
        updater.PutService("/bb/services/" + web.Id, web);
        updater.PutService("/bb/services/" + api.Id, api);
        NameTable before = updater.Commit();

        EndpointRecord task = Fixtures.Task(web, 1, "front", "10.0.0.5");
        updater.PutEndpoint($"/bb/endpoints/{task.NetworkId}/{task.Id}", task);
        NameTable after = updater.Commit();

        Fixtures.AssertAnswer(after.Resolve("web", RecordType.A, NameScope.All), "10.0.0.5");
        Fixtures.AssertOutcome(LookupOutcome.NoData, before.Resolve("web", RecordType.A, NameScope.All));
        Assert.Same(before.Nodes["api."], after.Nodes["api."]); // untouched keys keep their nodes
        Assert.NotSame(before.Nodes["web."], after.Nodes["web."]);
    }

    private static IEnumerable<int> Seeds()
    {
        if (Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } text)
        {
            return [int.Parse(text, System.Globalization.CultureInfo.InvariantCulture)];
        }

        int first = Random.Shared.Next(1, int.MaxValue - Runs);
        return Enumerable.Range(first, Runs);
    }

    /// <summary>One seeded sequence of changes, applied to the updater and to a plain reference map side by side.</summary>
    private sealed class Run(int seed)
    {
        private static readonly string[] NetworkNames = ["front", "back", "inner"];
        private static readonly string[] Names = ["web", "api", "db", "www", "Web"];
        private static readonly string[] Aliases = ["www", "cache", "web", "db"];
        private static readonly string[] Addresses = ["10.0.0.2", "10.0.0.5", "10.0.0.6", "10.0.0.7", "not-an-address", ""];
        private static readonly string[] Nodes = ["node1", "node2", "node3"];

        private readonly Random random = new(seed);
        private readonly NameTableUpdater updater = new(new NameTableOptions { Ttl = 7 });
        private readonly SortedDictionary<string, object> records = new(StringComparer.Ordinal);

        public void Check()
        {
            NameTable last = updater.Commit();
            for (int step = 0; step < StepsPerRun; step++)
            {
                string lastDump = TableDump.Of(last);
                int changes = 1 + random.Next(3);
                List<string> applied = [];
                for (int k = 0; k < changes; k++)
                {
                    applied.Add(Change());
                }

                NameTable table = updater.Commit();
                string expected = TableDump.Of(NameTable.Build(Source(), new NameTableOptions { Ttl = 7 }));
                string actual = TableDump.Of(table);
                if (expected != actual)
                {
                    Assert.Fail($"seed {seed}, step {step} ({string.Join("; ", applied)}): the incremental table differs from a full build\n--- full build\n{expected}\n--- incremental\n{actual}");
                }

                Assert.True(lastDump == TableDump.Of(last), $"seed {seed}, step {step}: the previous table changed under its readers");
                last = table;
            }
        }

        /// <summary>One random put or delete; returns what it did, for the failure message.</summary>
        private string Change()
        {
            int roll = random.Next(100);
            if (roll < 15 && records.Count > 0)
            {
                string key = records.Keys.ElementAt(random.Next(records.Count));
                records.Remove(key);
                Delete(key);
                return "delete " + key;
            }

            if (roll < 22)
            {
                NetworkRecord network = Fixtures.Network(Pick(NetworkNames), isInternal: random.Next(4) == 0) with { Name = Pick(NetworkNames) };
                string key = "/bb/networks/" + network.Id;
                records[key] = network;
                updater.PutNetwork(key, network);
                return $"put network {network.Name} ({network.Id})";
            }

            if (roll < 27)
            {
                string reporter = Pick(Nodes);
                var report = new ReachRecord { ReporterId = reporter, Unreachable = [.. Nodes.Where(_ => random.Next(3) == 0)] };
                string key = "/bb/reach/" + reporter;
                records[key] = report;
                updater.PutReach(key, report);
                return $"put reach {reporter}: {string.Join(",", report.Unreachable)}";
            }

            if (roll < 50)
            {
                ServiceRecord service = NewService();
                string key = "/bb/services/" + service.Id;
                records[key] = service;
                updater.PutService(key, service);
                return $"put service {service.Name} ({service.Id})";
            }

            EndpointRecord endpoint = NewEndpoint();
            string endpointKey = $"/bb/endpoints/{endpoint.NetworkId}/{endpoint.Id}";
            records[endpointKey] = endpoint;
            updater.PutEndpoint(endpointKey, endpoint);
            return $"put endpoint {endpoint.Name} on {endpoint.NetworkId} at {endpoint.Address}, running {endpoint.Running} on {endpoint.NodeId}";
        }

        private void Delete(string key)
        {
            if (key.StartsWith("/bb/networks/", StringComparison.Ordinal))
            {
                updater.DeleteNetwork(key);
            }
            else if (key.StartsWith("/bb/services/", StringComparison.Ordinal))
            {
                updater.DeleteService(key);
            }
            else if (key.StartsWith("/bb/endpoints/", StringComparison.Ordinal))
            {
                updater.DeleteEndpoint(key);
            }
            else
            {
                updater.DeleteReach(key);
            }
        }

        private ServiceRecord NewService()
        {
            ServiceNetwork[] attachments = [.. Enumerable.Range(0, random.Next(3)).Select(_ => Fixtures.On(Pick(NetworkNames), Pick(Addresses), [.. Some(Aliases)]))];
            PublishedPort[] ports = [.. Some([Fixtures.Port("http", 80), Fixtures.Port("dns", 53, "udp"), Fixtures.Port("", 8080), Fixtures.Port("big", 70000)])];
            return Fixtures.Service(Pick(Names), random.Next(2) == 0 ? "vip" : "dnsrr", attachments, ports, idSeed: "svc" + random.Next(5));
        }

        private EndpointRecord NewEndpoint()
        {
            string id = Fixtures.Id("ep" + random.Next(8));
            ServiceRecord? service = random.Next(4) == 0 ? null : records.Values.OfType<ServiceRecord>().ElementAtOrDefault(random.Next(5));
            int slot = 1 + random.Next(3);
            return new EndpointRecord
            {
                Id = id,
                Name = service is null ? Pick(Names) : $"{service.Name}.{slot}.{id}",
                NetworkId = Fixtures.NetworkId(Pick(NetworkNames)),
                ServiceId = service?.Id ?? "",
                ServiceName = service?.Name ?? "",
                Slot = service is null ? 0 : slot,
                Aliases = [.. Some(Aliases)],
                Address = Pick(Addresses),
                Mac = "02:42:0a:00:00:05",
                NodeId = Pick(Nodes),
                NodeAddress = "192.168.50.1",
                Running = random.Next(4) != 0,
            };
        }

        /// <summary>The reference: the records as one read of the store would list them, in key order.</summary>
        private NameSource Source() => new(
            [.. records.Values.OfType<NetworkRecord>()],
            [.. records.Values.OfType<ServiceRecord>()],
            [.. records.Values.OfType<EndpointRecord>()],
            DownNodes.From(records.Values.OfType<ReachRecord>()));

        private T Pick<T>(T[] items) => items[random.Next(items.Length)];

        private IEnumerable<T> Some<T>(T[] items) => items.Where(_ => random.Next(3) == 0);
    }
}
