using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Backbone.Cli.Lab;
using Makaretu.Dns;

namespace Backbone.Cli.Demo;

/// <summary>
/// <c>backbone demo</c>: the whole overlay story on one machine, step by step with timings: three
/// hosts (a lab), an overlay network, a three-replica service spread over them and a client
/// container; then, from the client, the DNS answers, a ping and an HTTP exchange with every
/// replica across hosts; then each host's VXLAN device and forwarding entries; then it all goes
/// (or stays, with --keep).
/// </summary>
internal static class DemoCommand
{
    private const string DefaultPrefix = "demo-";
    private const string DefaultSubnet = "172.31.212.0/24";
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        Option<bool> keep = new("--keep") { Description = "Leave the lab running at the end, and print how to look around in it" };
        Option<string> prefix = new("--prefix") { Description = "Start of every name the demo's lab makes (two demos at once need two)", DefaultValueFactory = _ => DefaultPrefix };
        Option<string> subnet = new("--subnet") { Description = "The demo lab's underlay /24", DefaultValueFactory = _ => DefaultSubnet };
        Command demo = new("demo", "Run the whole overlay story on this machine: 3 hosts (network namespaces, each a node), an overlay network,\n"
            + "a 3-replica service and a client container; DNS, ping and HTTP across hosts over VXLAN; each host's VXLAN device\n"
            + "and FDB entries; then remove it all. Needs root (namespaces, links). Takes about a minute.\n"
            + "Example: sudo ./backbone demo --keep")
        {
            keep, prefix, subnet,
        };
        demo.SetAction(async (parse, cancellationToken) =>
        {
            if (!Environment.IsPrivilegedProcess)
            {
                await Console.Error.WriteLineAsync("Error: the demo builds hosts as network namespaces joined by VXLAN, which needs root: run `sudo ./backbone demo`").ConfigureAwait(false);
                return 2;
            }

            try
            {
                var names = new DemoNames(parse.GetValue(prefix)!, parse.GetValue(subnet)!);
                LabPlan.Create(names.Prefix, names.Subnet, 3, names.DataDir); // bad flags fail here, before anything is made
                return await RunAsync(names, parse.GetValue(keep), cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or System.Net.Sockets.SocketException or Backbone.Overlay.Netlink.NetlinkException)
            {
                await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
                var names = new DemoNames(parse.GetValue(prefix)!, parse.GetValue(subnet)!);
                await Console.Error.WriteLineAsync($"The lab is left as it is for a look (node logs under {names.DataDir}); `backbone lab down --prefix {names.Prefix} --data-dir {names.DataDir}` removes it").ConfigureAwait(false);
                return 1;
            }
        });
        return demo;
    }

    /// <summary>The demo lab's names: its prefix, underlay, and data directory (derived from the prefix).</summary>
    private sealed record DemoNames(string Prefix, string Subnet)
    {
        public string DataDir => Path.Combine("/var/lib/backbone-lab", Prefix.TrimEnd('-'));
    }

    private static async Task<int> RunAsync(DemoNames names, bool keep, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        string[] lab = ["--prefix", names.Prefix, "--data-dir", names.DataDir];
        await SelfCli.RunAsync(["lab", "down", .. lab]).ConfigureAwait(false); // a demo left by --keep

        await Step(1, "three hosts: network namespaces on an underlay bridge, each running a node (3 managers)", async () =>
            Indent(await SelfCli.MustAsync(["lab", "up", "--hosts", "3", "--subnet", names.Subnet, .. lab]).ConfigureAwait(false)));
        LabPlan plan = LabPlan.Create(names.Prefix, names.Subnet, 3, names.DataDir);
        string endpoints = string.Join(',', plan.Hosts.Select(h => h.ClientEndpoint));
        Task<string> Cli(params string[] args) => SelfCli.MustAsync(["--endpoints", endpoints, .. args]);

        (string program, string[] prefix) = SelfCli.Invocation();
        await Step(2, "an overlay network `demo`, a service `web` of 3 echo/HTTP servers (dnsrr), and a client container on host-1", async () =>
        {
            string network = (await Cli("network", "create", "--attachable", "--subnet", "10.200.0.0/24", "demo").ConfigureAwait(false)).Trim();
            await Cli(["service", "create", "--name", "web", "--replicas", "3", "--endpoint-mode", "dnsrr", "--network", "demo",
                "--publish", "name=http,target=8080,protocol=tcp", "--", program, .. prefix, "echo-server", "--port", "8080"]).ConfigureAwait(false);
            await SelfCli.MustAsync("--endpoints", plan.Hosts[0].ClientEndpoint, "container", "run", "--name", "client", "--network", "demo", "--", "sleep", "infinity").ConfigureAwait(false);
            Console.WriteLine($"    network demo ({network[..Math.Min(12, network.Length)]}), service web, container client");
        }).ConfigureAwait(false);

        List<Replica> replicas = [];
        string client = "";
        await Step(3, "waiting for the replicas to run, one per host, and the client", async () =>
        {
            var waited = Stopwatch.StartNew();
            while (true)
            {
                replicas = Replica.Parse(await Cli("service", "ps", "web").ConfigureAwait(false), plan);
                string containers = await Cli("container", "ls").ConfigureAwait(false);
                client = ClientNamespace(containers, plan);
                if (replicas.Count(r => r.Running) == 3 && replicas.Select(r => r.Host).Distinct().Count() == 3 && client.Length > 0)
                {
                    break;
                }

                if (waited.Elapsed > Converge)
                {
                    throw new TimeoutException($"the replicas did not all run within {Converge.TotalSeconds:0} s:\n{await Cli("service", "ps", "web").ConfigureAwait(false)}");
                }

                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }

            foreach (Replica replica in replicas)
            {
                Console.WriteLine($"    {replica.Name,-40} {replica.Host,-7} {replica.Address}");
            }
        }).ConfigureAwait(false);

        await Step(4, "DNS from the client (its resolver: the embedded server at 127.0.0.11 in its namespace)", () =>
        {
            foreach ((string name, DnsType type) in new[] { ("web", DnsType.A), ("tasks.web", DnsType.A), ("_http._tcp.web", DnsType.SRV) })
            {
                Message answer = InContainer.Resolve(client, name, type);
                Console.WriteLine($"    {name} {type}: {answer.Status}");
                foreach (ResourceRecord record in answer.Answers)
                {
                    Console.WriteLine($"      {Describe(record)}");
                }
            }

            return Task.CompletedTask;
        }).ConfigureAwait(false);

        await Step(5, "from the client on host-1 to every replica, across hosts over VXLAN: ping, then HTTP", () =>
        {
            foreach (Replica replica in replicas)
            {
                TimeSpan? rtt = InContainer.Ping(client, replica.Address);
                string body = InContainer.HttpGet(client, replica.Address, 8080, replica.Name);
                Console.WriteLine($"    {replica.Address,-12} on {replica.Host}: ping {(rtt is not { } t ? "LOST" : t < TimeSpan.FromMilliseconds(1) ? "<1 ms" : $"{t.TotalMilliseconds:0} ms")}, GET / → \"{body}\"");
                if (rtt is null || !body.Contains(replica.Name, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"the client did not reach {replica.Name} at {replica.Address} on {replica.Host}");
                }
            }

            return Task.CompletedTask;
        }).ConfigureAwait(false);

        await Step(6, "each host's VXLAN device and its FDB (MAC → remote host) and neighbour (IP → MAC) entries", () =>
        {
            foreach (LabHost host in plan.Hosts)
            {
                Console.WriteLine(HostView.Describe(host, plan));
            }

            return Task.CompletedTask;
        }).ConfigureAwait(false);

        if (keep)
        {
            Console.WriteLine($"\nDone in {total.Elapsed.TotalSeconds:0.0} s. The lab stays up (--keep). Look around:");
            Console.WriteLine($"  export BACKBONE_ENDPOINTS={endpoints}");
            Console.WriteLine("  ./backbone service ps web");
            Console.WriteLine("  ./backbone exec client -- ping -c 3 tasks.web         # from the client, on host-1");
            Console.WriteLine($"  ip netns exec {names.Prefix}host-2 ip -d link                 # a host's own view");
            Console.WriteLine($"  ./backbone lab down --prefix {names.Prefix} --data-dir {names.DataDir}   # removes it all");
            return 0;
        }

        await Step(7, "tearing it all down", async () => Indent(await SelfCli.MustAsync(["lab", "down", .. lab]).ConfigureAwait(false))).ConfigureAwait(false);
        Console.WriteLine($"\nDone in {total.Elapsed.TotalSeconds:0.0} s.");
        return 0;
    }

    private static async Task Step(int number, string what, Func<Task> action)
    {
        Console.WriteLine($"[{number}] {what} ...");
        var step = Stopwatch.StartNew();
        await action().ConfigureAwait(false);
        Console.WriteLine($"    ({step.Elapsed.TotalSeconds:0.0} s)");
    }

    private static void Indent(string output)
    {
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Console.WriteLine("    " + line.Trim());
        }
    }

    /// <summary>The client container's namespace: on host-1, named by its agent's prefix and the first 12 of its id.</summary>
    private static string ClientNamespace(string containerList, LabPlan plan)
    {
        string? line = containerList.Split('\n').FirstOrDefault(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, "client", _, "running", ..]);
        return line is null ? "" : plan.Hosts[0].AgentPrefix + "c-" + line.Split(' ')[0];
    }

    private static string Describe(ResourceRecord record) => record switch
    {
        ARecord a => $"{a.Name} A {a.Address} (ttl {a.TTL.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)",
        SRVRecord srv => $"{srv.Name} SRV {srv.Priority} {srv.Weight} {srv.Port} {srv.Target}",
        _ => $"{record.Name} {record.Type}",
    };
}
