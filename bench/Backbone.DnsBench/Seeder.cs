using System.Diagnostics;
using System.Globalization;
using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Nodes;
using Backbone.Control.Services;

namespace Backbone.DnsBench;

/// <summary>
/// Fills a fresh store with the benchmark's names through the control plane's own stores (the
/// same code as `network create` and `service create`), and writes the records the DNS server
/// will answer with to a data file, from which bench/dns/run.sh writes every other server's zone:
/// every server serves exactly this data.
/// </summary>
public static class Seeder
{
    /// <summary>The dnsrr service whose running tasks are the round-robin set.</summary>
    public const string RoundRobinName = "rr";

    public static async Task RunAsync(StoreConnection store, DnsBenchOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        NetworkRecord network = await store.Networks.CreateAsync(new NetworkSpec { Name = options.Network, Subnet = options.Subnet }, cancellationToken).ConfigureAwait(false);
        var lines = new List<string>();

        // vip mode: each name answers one A record (its VIP) and the VIP's PTR names the service.
        // No replicas: the VIP is answered whether or not tasks run, and no scheduler work is added.
        for (int i = 0; i < options.Names; i++)
        {
            ServiceRecord service = await store.Services.CreateAsync(Spec(string.Create(CultureInfo.InvariantCulture, $"svc{i}"), "vip", network.Name), cancellationToken).ConfigureAwait(false);
            string vip = service.Networks[0].Vip;
            lines.Add($"A {service.Name} {vip}");
            lines.Add($"PTR {vip} {service.Name}");
            if ((i + 1) % 250 == 0)
            {
                Console.Error.WriteLine($"dnsbench: {i + 1} services in {clock.Elapsed.TotalSeconds:0.0} s");
            }
        }

        // dnsrr: the name answers every running task's address, rotated; each task has its own name and PTR.
        NodeRecord node = await LiveNode.FindAsync(store.Kv, cancellationToken).ConfigureAwait(false);
        ServiceRecord roundRobin = await store.Services.CreateAsync(Spec(RoundRobinName, "dnsrr", network.Name), cancellationToken).ConfigureAwait(false);
        var endpoints = new TaskEndpoints(store.Kv, network, node);
        for (int slot = 1; slot <= options.RoundRobin; slot++)
        {
            EndpointRecord endpoint = await endpoints.NewAsync(roundRobin, slot, cancellationToken).ConfigureAwait(false);
            await endpoints.PutAsync(endpoint, cancellationToken).ConfigureAwait(false);
            lines.Add($"A {RoundRobinName} {endpoint.Address}");
            lines.Add($"A {endpoint.Name} {endpoint.Address}");
            lines.Add($"PTR {endpoint.Address} {endpoint.Name}");
        }

        await File.WriteAllLinesAsync(options.Out!, lines, cancellationToken).ConfigureAwait(false);
        Console.Error.WriteLine($"dnsbench: seeded network {network.Name} ({network.Subnet}): {options.Names} services, {RoundRobinName} with {options.RoundRobin} running tasks on node {node.Name}, in {clock.Elapsed.TotalSeconds:0.0} s; wrote {options.Out}");
    }

    /// <summary>A service on the benchmark network with no replicas (its tasks, if any, are the endpoints written here).</summary>
    public static ServiceSpec Spec(string name, string endpointMode, string network) => new()
    {
        Name = name,
        Replicas = 0,
        Networks = [network],
        EndpointMode = endpointMode,
        Command = ["/bin/true"],
    };
}
