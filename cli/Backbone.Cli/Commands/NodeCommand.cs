using System.CommandLine;
using Backbone.Server;
using Backbone.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone node</c>: runs one node in the foreground until Ctrl-C or SIGTERM.</summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        Option<string?> name = new("--name") { Description = "Human-readable name of this node (kept in the data directory; default 'default')" };
        Option<string> dataDir = new("--data-dir")
        {
            Description = "Directory for this node's data (created if missing). A restart needs only this flag.",
            Required = true,
        };
        Option<string> listenClient = new("--listen-client")
        {
            Description = "HOST:PORT for the etcd v3 client API (gRPC over HTTP/2 cleartext)",
            DefaultValueFactory = _ => "127.0.0.1:2379",
        };
        Option<LogLevel> logLevel = new("--log-level")
        {
            Description = "Least severe log level printed (Trace, Debug, Information, Warning, Error)",
            DefaultValueFactory = _ => LogLevel.Warning,
        };

        Command command = new("node", "Run a Backbone node in the foreground: the store and its etcd v3 API.\n"
            + "Example: backbone node --name n1 --data-dir /var/lib/backbone --listen-client 127.0.0.1:2379\n"
            + "Then: etcdctl --endpoints 127.0.0.1:2379 put hello world")
        {
            name, dataDir, listenClient, logLevel,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            NodeOptions options = new()
            {
                Name = parse.GetValue(name),
                DataDir = parse.GetValue(dataDir)!,
                ListenClient = parse.GetValue(listenClient)!,
                LogLevel = parse.GetValue(logLevel),
            };
            return await RunAsync(options, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(NodeOptions options, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = await NodeServer.StartAsync(options, note: n => Console.Error.WriteLine($"note: {n}")).ConfigureAwait(false);
        }
        catch (StoreCorruptException e)
        {
            await Console.Error.WriteLineAsync($"Error: data directory damaged: {e.Message}\n"
                + "The node will not start on data it cannot trust. Restore this directory from a backup or a healthy member.").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            await Console.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        NodeContext node = (NodeContext)app.Services.GetService(typeof(NodeContext))!;
        Console.WriteLine($"backbone node '{node.Identity.Name}' serving the etcd v3 API on {options.ListenClient} "
            + $"(member {node.Identity.MemberId:x}, cluster {node.Identity.ClusterId:x}, revision {node.Engine.Revision}, data {options.DataDir})");
        try
        {
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }

        Console.WriteLine("backbone node stopped cleanly");
        return 0;
    }
}
