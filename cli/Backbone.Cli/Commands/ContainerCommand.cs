using System.CommandLine;
using System.Text.Json;
using Backbone.Api.Control;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone container run|ls|rm</c>: standalone containers on attachable networks, run by the node the CLI talks to.</summary>
internal static class ContainerCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        Command container = new("container", "Manage standalone containers: one command in its own namespace on attachable networks, run by the\n"
            + "node you talk to (--endpoints), reachable by name as tasks are.\n"
            + "Example: backbone container run --network appnet --name probe -- sleep infinity");
        container.Subcommands.Add(Run());
        container.Subcommands.Add(List());
        container.Subcommands.Add(Remove());
        return container;
    }

    private static Command Run()
    {
        Option<string[]> networks = new("--network") { Description = "Attachable network to join (repeat for several)", Required = true };
        Option<string> name = new("--name") { Description = "Container name (a DNS name); default: the start of its id" };
        Option<string[]> aliases = new("--alias") { Description = "Extra DNS name on its networks (repeat for several)" };
        Option<string> restart = new("--restart-condition") { Description = "When it starts again after exiting: none, on-failure or any", DefaultValueFactory = _ => "none" };
        Argument<string[]> command = new("command") { Description = "The command and its arguments, after --", Arity = ArgumentArity.ZeroOrMore };
        Command run = new("run", "Run a standalone container in the background (as docker run -d) and print its id. Its output is kept by\n"
            + "its node; `backbone exec NAME -- CMD` runs a command inside it.\n"
            + "Example: backbone container run --network appnet --name probe -- sleep infinity")
        {
            networks, name, aliases, restart, command,
        };
        run.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            var request = new RunContainerRequest { Name = parse.GetValue(name) ?? "", RestartCondition = parse.GetValue(restart)! };
            request.Networks.AddRange(parse.GetValue(networks) ?? []);
            request.Aliases.AddRange(parse.GetValue(aliases) ?? []);
            request.Command.AddRange(parse.GetValue(command) ?? []);
            Container created = await ControlCalls.CallAsync(client, c => c.RunContainerAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            Console.WriteLine(created.Id);
            return 0;
        }));
        return run;
    }

    private static Command List()
    {
        Option<string> format = ControlCalls.FormatOption();
        Command ls = new("ls", "List standalone containers: node, state as its agent reports, addresses.\nExample: backbone container ls") { format };
        ls.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            ListContainersResponse all = await ControlCalls.CallAsync(client, c => c.ListContainersAsync(new ListContainersRequest(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(all.Containers.Select(c => new ContainerJson(c.Id, c.Name, c.NodeId, c.NodeName, c.State, c.Message,
                    [.. c.Addresses], [.. c.Aliases], [.. c.Command], c.RestartCondition, ControlCalls.Time(c.CreatedUnixMs))), Indented));
                return 0;
            }

            Console.WriteLine($"{"ID",-12}  {"NAME",-20}  {"NODE",-16}  {"STATE",-10}  {"ADDRESSES",-24}  COMMAND");
            foreach (Container c in all.Containers)
            {
                Console.WriteLine($"{c.Id[..Math.Min(12, c.Id.Length)],-12}  {c.Name,-20}  {c.NodeName,-16}  {c.State,-10}  {string.Join(',', c.Addresses),-24}  {string.Join(' ', c.Command)}");
            }

            return 0;
        }));
        return ls;
    }

    private static Command Remove()
    {
        Argument<string[]> containers = new("container") { Description = "Name, id or unique id prefix", Arity = ArgumentArity.OneOrMore };
        Command rm = new("rm", "Remove standalone containers: the record and addresses at once; the node then stops the process (SIGTERM,\n"
            + "SIGKILL after 5 s) and removes the namespace.\nExample: backbone container rm probe") { containers };
        rm.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            foreach (string wanted in parse.GetValue(containers)!)
            {
                Console.WriteLine((await ControlCalls.CallAsync(client, c => c.RemoveContainerAsync(new ContainerRef { NameOrId = wanted }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false)).Name);
            }

            return 0;
        }));
        return rm;
    }

    private sealed record ContainerJson(string Id, string Name, string NodeId, string NodeName, string State, string Message, IReadOnlyList<string> Addresses,
        IReadOnlyList<string> Aliases, IReadOnlyList<string> Command, string RestartCondition, string Created);
}
