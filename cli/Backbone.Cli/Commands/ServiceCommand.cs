using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Backbone.Api.Control;
using Backbone.Client;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone service create|ls|inspect|scale|rm</c>, as <c>docker service ...</c>, over the control API.</summary>
internal static class ServiceCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        Command service = new("service", "Manage replicated services: a command run as N tasks spread over the nodes, reachable by name.\n"
            + "Example: backbone service create --name web --replicas 3 --network appnet --publish 8080/tcp -- backbone echo-server --port 8080");
        service.Subcommands.Add(CreateService());
        service.Subcommands.Add(List());
        service.Subcommands.Add(Inspect());
        service.Subcommands.Add(Scale());
        service.Subcommands.Add(ServiceUpdateCommand.Create());
        service.Subcommands.Add(Remove());
        service.Subcommands.Add(Tasks());
        service.Subcommands.Add(ServiceLogsCommand.Create());
        return service;
    }

    private static Command CreateService()
    {
        Option<string> name = new("--name") { Description = "Service name (a DNS name: letters, digits, '-')", Required = true };
        Option<int> replicas = new("--replicas") { Description = "Number of tasks", DefaultValueFactory = _ => 1 };
        Option<string[]> networks = new("--network") { Description = "Network to attach to (repeat for several)" };
        Option<string> endpointMode = new("--endpoint-mode") { Description = "vip: the name resolves to one virtual IP per network; dnsrr: to the tasks' addresses", DefaultValueFactory = _ => "vip" };
        Option<string[]> aliases = new("--alias") { Description = "Extra DNS name on the service's networks (repeat for several)" };
        Option<string[]> publish = new("--publish", "-p") { Description = "Port for SRV records: TARGET[/tcp|/udp] (named TARGET) or name=http,target=8080,protocol=tcp" };
        Option<string> restart = new("--restart-condition") { Description = "When an exited task starts again: any, on-failure or none", DefaultValueFactory = _ => "any" };
        Option<string[]> constraints = new("--constraint") { Description = "Placement: node.name==NAME or node.name!=NAME (repeat for several)" };
        Argument<string[]> command = new("command") { Description = "The command and its arguments, after --", Arity = ArgumentArity.ZeroOrMore };
        Command create = new("create", "Create a service. Its record, name and virtual IPs are written in one transaction; the scheduler on the\n"
            + "leader then places its tasks.\n"
            + "Example: backbone service create --name web --replicas 3 --network appnet -- backbone echo-server --port 8080")
        {
            name, replicas, networks, endpointMode, aliases, publish, restart, constraints, command,
        };
        create.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            var request = new CreateServiceRequest
            {
                Name = parse.GetValue(name)!,
                Replicas = parse.GetValue(replicas),
                EndpointMode = parse.GetValue(endpointMode)!,
                RestartCondition = parse.GetValue(restart)!,
            };
            request.Networks.AddRange(parse.GetValue(networks) ?? []);
            request.Aliases.AddRange(parse.GetValue(aliases) ?? []);
            request.Publish.AddRange(parse.GetValue(publish) ?? []);
            request.Constraints.AddRange(parse.GetValue(constraints) ?? []);
            request.Command.AddRange(parse.GetValue(command) ?? []);
            Service created = await ControlCalls.CallAsync(client, c => c.CreateServiceAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            Console.WriteLine(created.Id);
            return 0;
        }));
        return create;
    }

    private static Command List()
    {
        Option<string> format = ControlCalls.FormatOption();
        Command ls = new("ls", "List services.\nExample: backbone service ls --format json") { format };
        ls.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            ListServicesResponse list = await ControlCalls.CallAsync(client, c => c.ListServicesAsync(new ListServicesRequest(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(list.Services.Select(Describe), Indented));
                return 0;
            }

            Console.WriteLine($"{"ID",-12}  {"NAME",-20}  {"MODE",-10}  {"REPLICAS",8}  {"NETWORKS",-24}  PORTS");
            foreach (Service s in list.Services)
            {
                string nets = string.Join(',', s.Networks.Select(n => n.NetworkName));
                string ports = string.Join(',', s.Ports.Select(p => $"{p.Name}={p.Target}/{p.Protocol}"));
                Console.WriteLine($"{s.Id[..Math.Min(12, s.Id.Length)],-12}  {s.Name,-20}  {s.EndpointMode,-10}  {s.Replicas,8}  {nets,-24}  {ports}");
            }

            return 0;
        }));
        return ls;
    }

    private static Command Inspect()
    {
        Argument<string[]> services = new("service") { Description = "Name, id or unique id prefix", Arity = ArgumentArity.OneOrMore };
        Command inspect = new("inspect", "Show services in detail, as JSON.\nExample: backbone service inspect web") { services };
        inspect.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            var found = new List<ServiceJson>();
            foreach (string wanted in parse.GetValue(services)!)
            {
                found.Add(Describe(await ControlCalls.CallAsync(client, c => c.InspectServiceAsync(new ServiceRef { NameOrId = wanted }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false)));
            }

            Console.WriteLine(JsonSerializer.Serialize(found, Indented));
            return 0;
        }));
        return inspect;
    }

    private static Command Scale()
    {
        Argument<string[]> targets = new("service=replicas") { Description = "e.g. web=5", Arity = ArgumentArity.OneOrMore };
        Command scale = new("scale", "Set how many tasks services run.\nExample: backbone service scale web=5 api=2") { targets };
        scale.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            foreach (string target in parse.GetValue(targets)!)
            {
                string[] pair = target.Split('=', 2);
                if (pair.Length != 2 || !int.TryParse(pair[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int replicas))
                {
                    await Console.Error.WriteLineAsync($"Error: \"{target}\" is not SERVICE=REPLICAS, e.g. web=5").ConfigureAwait(false);
                    return 2;
                }

                Service scaled = await ControlCalls.CallAsync(client, c => c.ScaleServiceAsync(new ScaleServiceRequest { NameOrId = pair[0], Replicas = replicas }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
                Console.WriteLine($"{scaled.Name} scaled to {scaled.Replicas}");
            }

            return 0;
        }));
        return scale;
    }

    private static Command Remove()
    {
        Argument<string[]> services = new("service") { Description = "Name, id or unique id prefix", Arity = ArgumentArity.OneOrMore };
        Command rm = new("rm", "Remove services with their tasks and virtual IPs.\nExample: backbone service rm web") { services };
        rm.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            foreach (string wanted in parse.GetValue(services)!)
            {
                Console.WriteLine((await ControlCalls.CallAsync(client, c => c.RemoveServiceAsync(new ServiceRef { NameOrId = wanted }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false)).Name);
            }

            return 0;
        }));
        return rm;
    }

    private static Command Tasks()
    {
        Argument<string> service = new("service") { Description = "Name, id or unique id prefix" };
        Option<string> format = ControlCalls.FormatOption();
        Command ps = new("ps", "List a service's tasks: one per slot, the node it is placed on, and its state.\nExample: backbone service ps web") { service, format };
        ps.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            ListServiceTasksResponse tasks = await ControlCalls.CallAsync(client, c => c.ListServiceTasksAsync(new ServiceRef { NameOrId = parse.GetValue(service)! }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(tasks.Tasks.Select(t => new TaskJson(t.Id, t.Name, t.Slot, t.NodeId, t.NodeName, t.State,
                    ControlCalls.Time(t.CreatedUnixMs), t.CurrentState, t.Message, t.Restarts, ControlCalls.Time(t.SinceUnixMs), [.. t.Addresses], t.ServiceVersion)), Indented));
                return 0;
            }

            Console.WriteLine($"{"ID",-12}  {"NAME",-40}  {"NODE",-16}  {"CURRENT STATE",-13}  {"ADDRESSES",-24}  ERROR");
            foreach (ServiceTask t in tasks.Tasks)
            {
                string restarted = t.Restarts > 0 ? $" (restarts: {t.Restarts})" : "";
                Console.WriteLine($"{t.Id[..Math.Min(12, t.Id.Length)],-12}  {t.Name,-40}  {(t.NodeName.Length > 0 ? t.NodeName : "-"),-16}  {t.CurrentState,-13}  {string.Join(',', t.Addresses),-24}  {t.Message}{restarted}");
            }

            return 0;
        }));
        return ps;
    }

    private sealed record TaskJson(string Id, string Name, int Slot, string NodeId, string NodeName, string State, string Created,
        string CurrentState, string Message, int Restarts, string Since, IReadOnlyList<string> Addresses, int ServiceVersion);

    private static ServiceJson Describe(Service s) => new(s.Id, s.Name, s.Replicas, s.Version, s.EndpointMode,
        [.. s.Networks.Select(n => new ServiceNetworkJson(n.NetworkId, n.NetworkName, [.. n.Aliases], n.Vip))],
        [.. s.Ports.Select(p => new PortJson(p.Name, p.Target, p.Protocol))], s.RestartCondition, [.. s.Command], [.. s.Constraints],
        ControlCalls.Time(s.CreatedUnixMs),
        ControlCalls.Time(s.UpdatedUnixMs));

    private sealed record ServiceJson(string Id, string Name, int Replicas, int Version, string EndpointMode, IReadOnlyList<ServiceNetworkJson> Networks, IReadOnlyList<PortJson> Ports,
        string RestartCondition, IReadOnlyList<string> Command, IReadOnlyList<string> Constraints, string Created, string Updated);

    private sealed record ServiceNetworkJson(string NetworkId, string NetworkName, IReadOnlyList<string> Aliases, string Vip);

    private sealed record PortJson(string Name, int Target, string Protocol);
}
