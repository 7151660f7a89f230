using System.CommandLine;
using System.Diagnostics;
using Backbone.Server.Cluster;
using Backbone.Cli.Lab;
using Backbone.Client;

namespace Backbone.Cli.Commands;

/// <summary>
/// <c>backbone lab up|down|status</c>: several hosts on this one machine, each a network namespace
/// running its own node, joined by an underlay bridge: for the demo and the multi-host tests.
/// On real machines none of this is needed: a node runs in the host's own namespace.
/// </summary>
internal static class LabCommand
{
    private static readonly Option<string> Prefix = new("--prefix")
    {
        Description = "Start of every name the lab makes (namespaces PREFIXhost-N, PREFIXlab, link PREFIXlab; agents' PREFIXhN-)",
        DefaultValueFactory = _ => LabPlan.DefaultPrefix,
    };

    private static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Where the lab keeps its record and each node's data and node.log (default /var/lib/backbone-lab/PREFIX)",
    };

    public static Command Create()
    {
        Option<int> hosts = new("--hosts") { Description = "How many hosts: the first 3 are managers, the rest workers", DefaultValueFactory = _ => 3 };
        Option<string> subnet = new("--subnet")
        {
            Description = "The underlay, a /24 no other network of this machine uses: host N is .N, this namespace .254",
            DefaultValueFactory = _ => LabPlan.DefaultSubnet,
        };
        Command up = new("up", "Create N hosts on this machine (network namespaces on an underlay bridge), each running a node: the first\n"
            + "inits the cluster, the next two join as managers, the rest as workers. Needs root.\n"
            + "Example: backbone lab up --hosts 3, then: backbone node ls --endpoints 172.31.213.1:2379")
        {
            hosts, subnet, Prefix, DataDir,
        };
        up.SetAction((parse, cancellationToken) => Run(() => UpAsync(Plan(parse, parse.GetValue(hosts), parse.GetValue(subnet)!), cancellationToken)));

        Command down = new("down", "Stop the lab's nodes and remove everything it made: the agents' containers and sandboxes, the hosts,\n"
            + "the underlay, and its data directory. Safe to run again, or after a `lab up` that failed midway.\n"
            + "Example: backbone lab down")
        {
            Prefix, DataDir,
        };
        down.SetAction((parse, cancellationToken) => Run(() => DownAsync(parse)));

        Command status = new("status", "Show the lab's hosts, their addresses and whether each node runs.")
        {
            Prefix, DataDir,
        };
        status.SetAction((parse, cancellationToken) => Run(() => Task.FromResult(Status(parse))));

        Command lab = new("lab", "Several hosts on one machine, for the demo and tests (lab up, lab down, lab status).");
        lab.Subcommands.Add(up);
        lab.Subcommands.Add(down);
        lab.Subcommands.Add(status);
        return lab;
    }

    private static string StateDir(ParseResult parse) =>
        parse.GetValue(DataDir) ?? Path.Combine("/var/lib/backbone-lab", parse.GetValue(Prefix)!.TrimEnd('-'));

    private static LabPlan Plan(ParseResult parse, int hosts, string subnet) => LabPlan.Create(parse.GetValue(Prefix)!, subnet, hosts, StateDir(parse));

    private static async Task<int> Run(Func<Task<int>> action)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            await Console.Error.WriteLineAsync("Error: the lab makes network namespaces and links, which needs root: run it as root (sudo ./backbone lab ...)").ConfigureAwait(false);
            return 2;
        }

        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or TimeoutException or IOException or Backbone.Overlay.Netlink.NetlinkException)
        {
            await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<int> UpAsync(LabPlan plan, CancellationToken cancellationToken)
    {
        if (LabState.Load(plan.StateFile) is not null || Backbone.Overlay.Netlink.NetworkNamespace.Exists(plan.SwitchNamespace))
        {
            throw new InvalidOperationException($"a lab with prefix {plan.Prefix} is up already: `backbone lab down --prefix {plan.Prefix}` first, or give another --prefix and --subnet");
        }

        var total = Stopwatch.StartNew();
        var state = new LabState(plan.Prefix, plan.Subnet.ToString(), plan.Hosts.Count, []);
        try
        {
            Directory.CreateDirectory(plan.StateDir);
            state.Save(plan.StateFile);
            Progress($"underlay {plan.Subnet} on bridge {LabPlan.SwitchBridge} in namespace {plan.SwitchNamespace}");
            LabWiring.Build(plan, Progress);

            LabHost first = plan.Hosts[0];
            string? managerToken = null;
            string? workerToken = null;
            foreach (LabHost host in plan.Hosts)
            {
                var step = Stopwatch.StartNew();
                List<string> arguments = ["--name", host.Name, "--data-dir", host.DataDir, "--advertise-addr", host.Address,
                    "--listen-client", host.ClientEndpoint, "--listen-peer", host.PeerEndpoint, "--netns-prefix", host.AgentPrefix];
                if (host.Role == "init")
                {
                    arguments.Add("--init");
                }
                else
                {
                    arguments.AddRange(["--join", first.ClientEndpoint, "--token", host.Role == "manager" ? managerToken! : workerToken!]);
                }

                int pid = LabNodes.Start(host, arguments);
                state.NodePids[host.Name] = pid;
                state.Save(plan.StateFile);
                await LabNodes.WaitReadyAsync(host, pid, cancellationToken).ConfigureAwait(false);
                Progress($"host {host.Name}: node {(host.Role == "init" ? "created the cluster" : $"joined as a {host.Role}")} at {host.ClientEndpoint} (pid {pid}, {step.Elapsed.TotalSeconds:0.0} s)");

                if (host.Role == "init")
                {
                    using var client = new BackboneClient(first.ClientEndpoint);
                    managerToken = await JoinTokens.ReadAsync(client, JoinRole.Manager, cancellationToken).ConfigureAwait(false);
                    workerToken = await JoinTokens.ReadAsync(client, JoinRole.Worker, cancellationToken).ConfigureAwait(false);
                    if (managerToken is null || workerToken is null)
                    {
                        throw new InvalidOperationException($"the first node at {first.ClientEndpoint} has no join tokens: is it in a cluster? its log: {Path.Combine(first.DataDir, "node.log")}");
                    }
                }
            }
        }
        catch
        {
            await Console.Error.WriteLineAsync($"lab up failed; the part made is still up (its logs are under {plan.StateDir}): `backbone lab down --prefix {plan.Prefix}` removes it").ConfigureAwait(false);
            throw;
        }

        string endpoints = string.Join(',', plan.Hosts.Where(h => h.Role != "worker").Select(h => h.ClientEndpoint));
        Console.WriteLine($"lab up: {plan.Hosts.Count} hosts in {total.Elapsed.TotalSeconds:0.0} s. Use it with:");
        Console.WriteLine($"  export {Endpoints.EnvironmentVariable}={endpoints}");
        Console.WriteLine("  backbone node ls");
        Console.WriteLine($"  backbone lab down{(plan.Prefix == LabPlan.DefaultPrefix ? "" : $" --prefix {plan.Prefix}")}    # removes all of it");
        return 0;
    }

    private static async Task<int> DownAsync(ParseResult parse)
    {
        string prefix = parse.GetValue(Prefix)!;
        string stateDir = StateDir(parse);
        LabState? state = LabState.Load(Path.Combine(stateDir, "lab.json"));
        LabPlan plan = LabPlan.Create(prefix, state?.Subnet ?? LabPlan.DefaultSubnet, Math.Max(1, state?.Hosts ?? 1), stateDir);
        await LabTeardown.RunAsync(plan, state, Progress).ConfigureAwait(false);
        Console.WriteLine($"lab down: nothing with prefix {prefix} is left");
        return 0;
    }

    private static int Status(ParseResult parse)
    {
        string stateDir = StateDir(parse);
        if (LabState.Load(Path.Combine(stateDir, "lab.json")) is not { } state)
        {
            Console.WriteLine($"no lab with prefix {parse.GetValue(Prefix)} (nothing recorded in {stateDir})");
            return 1;
        }

        LabPlan plan = LabPlan.Create(state.Prefix, state.Subnet, state.Hosts, stateDir);
        Console.WriteLine($"{"HOST",-9} {"NAMESPACE",-14} {"ADDRESS",-16} {"ROLE",-8} NODE");
        foreach (LabHost host in plan.Hosts)
        {
            string node = state.NodePids.TryGetValue(host.Name, out int pid) ? LabNodes.IsAlive(pid) ? $"running (pid {pid})" : $"stopped (was pid {pid})" : "never started";
            Console.WriteLine($"{host.Name,-9} {host.Namespace,-14} {host.Address,-16} {(host.Role == "init" ? "manager" : host.Role),-8} {node}");
        }

        return 0;
    }

    private static void Progress(string message) => Console.WriteLine($"  {message}");
}
