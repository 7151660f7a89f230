using System.CommandLine;
using Backbone.Api.Control;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone service logs NAME</c>, as <c>docker service logs</c>: each task's output, gathered from the nodes that run them.</summary>
internal static class ServiceLogsCommand
{
    public static Command Create()
    {
        Argument<string> service = new("service") { Description = "Name, id or unique id prefix" };
        Option<int> tail = new("--tail") { Description = "Only the last N lines of each task (0: all that is kept, up to about 1 MiB per task)", DefaultValueFactory = _ => 0 };
        Option<bool> timestamps = new("--timestamps", "-t") { Description = "Show when each line was printed, and on which stream" };
        Command logs = new("logs", "Show what a service's tasks printed (stdout and stderr), each line prefixed with TASK@NODE.\n"
            + "Example: backbone service logs web --tail 20") { service, tail, timestamps };
        logs.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            ServiceLogsResponse answer = await ControlCalls.CallAsync(client, c => c.ServiceLogsAsync(
                new ServiceLogsRequest { NameOrId = parse.GetValue(service)!, Tail = parse.GetValue(tail) }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            bool stamped = parse.GetValue(timestamps);
            int width = answer.Tasks.Select(t => t.Task.Length + 1 + t.NodeName.Length).DefaultIfEmpty(0).Max();
            foreach (TaskLog log in answer.Tasks)
            {
                string source = $"{log.Task}@{log.NodeName}".PadRight(width);
                foreach (string line in log.Lines)
                {
                    Console.WriteLine($"{source} | {(stamped ? line : Text(line))}");
                }
            }

            foreach (string missing in answer.Unreachable)
            {
                await Console.Error.WriteLineAsync($"Warning: no logs from {missing}").ConfigureAwait(false);
            }

            return answer.Unreachable.Count == 0 ? 0 : 1;
        }));
        return logs;
    }

    /// <summary>The printed text alone: a kept line is "TIME STREAM TEXT".</summary>
    private static string Text(string line)
    {
        int first = line.IndexOf(' ', StringComparison.Ordinal);
        int second = first < 0 ? -1 : line.IndexOf(' ', first + 1);
        return second < 0 ? line : line[(second + 1)..];
    }
}
