using System.CommandLine;
using Backbone.Client;
using Grpc.Core;

namespace Backbone.Cli.Commands;

/// <summary>Options shared by every client command, and the one place client errors are printed.</summary>
internal static class CliOptions
{
    public static readonly Option<string?> Endpoints = new("--endpoints")
    {
        Description = $"Cluster endpoints, HOST:PORT[,HOST:PORT...] (else ${Backbone.Client.Endpoints.EnvironmentVariable}, else {Backbone.Client.Endpoints.Default})",
        Recursive = true,
    };

    public static BackboneClient Connect(ParseResult parse) => new(Backbone.Client.Endpoints.Resolve(parse.GetValue(Endpoints)));

    /// <summary>Runs a client action, turning failures into one clear line on stderr and exit code 1.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<BackboneClient, Task<int>> action)
    {
        string endpoints = Backbone.Client.Endpoints.Resolve(parse.GetValue(Endpoints));
        try
        {
            using BackboneClient client = new(endpoints);
            return await action(client).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && e.Status.Detail.Contains("Error connecting", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync($"Error: cannot reach {endpoints}: is a node running there? Start one with `./backbone node --data-dir DIR`, or pass --endpoints.").ConfigureAwait(false);
            return 1;
        }
        catch (RpcException e)
        {
            await Console.Error.WriteLineAsync($"Error: {e.Status.Detail}").ConfigureAwait(false);
            return 1;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }
}
