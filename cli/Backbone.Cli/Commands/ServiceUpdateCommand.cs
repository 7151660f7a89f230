using System.CommandLine;
using Backbone.Api.Control;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone service update</c>, as <c>docker service update</c>: change what is given; a new command or restart condition rolls the tasks.</summary>
internal static class ServiceUpdateCommand
{
    public static Command Create()
    {
        Argument<string> service = new("service") { Description = "Name, id or unique id prefix" };
        Option<int?> replicas = new("--replicas") { Description = "Number of tasks" };
        Option<string?> restart = new("--restart-condition") { Description = "any, on-failure or none (replaces the tasks)" };
        Option<string[]> constraintAdd = new("--constraint-add") { Description = "Add a placement constraint, node.name==NAME or node.name!=NAME (repeat for several)" };
        Option<string[]> constraintRm = new("--constraint-rm") { Description = "Remove a placement constraint (repeat for several)" };
        Option<bool> force = new("--force") { Description = "Replace the tasks even if nothing about how they run changed" };
        Argument<string[]> command = new("command") { Description = "A new command and its arguments, after -- (replaces the tasks); none: the command stays", Arity = ArgumentArity.ZeroOrMore };
        Command update = new("update", "Change a service. A new command, restart condition or --force makes a new version: its tasks are replaced\n"
            + "one at a time, a second apart (docker's default parallelism of 1). Replicas and constraints change placement only.\n"
            + "Example: backbone service update web --replicas 5\n"
            + "         backbone service update web -- backbone echo-server --port 9090")
        {
            service, replicas, restart, constraintAdd, constraintRm, force, command,
        };
        update.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            var request = new UpdateServiceRequest { NameOrId = parse.GetValue(service)!, Force = parse.GetValue(force) };
            if (parse.GetValue(replicas) is { } count)
            {
                request.Replicas = count;
            }

            if (parse.GetValue(restart) is { } condition)
            {
                request.RestartCondition = condition;
            }

            request.ConstraintAdd.AddRange(parse.GetValue(constraintAdd) ?? []);
            request.ConstraintRm.AddRange(parse.GetValue(constraintRm) ?? []);
            request.Command.AddRange(parse.GetValue(command) ?? []);
            Service updated = await ControlCalls.CallAsync(client, c => c.UpdateServiceAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            Console.WriteLine($"{updated.Name} updated (version {updated.Version}, {updated.Replicas} replicas)");
            return 0;
        }));
        return update;
    }
}
