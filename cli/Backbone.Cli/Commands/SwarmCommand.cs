using System.CommandLine;
using Backbone.Server.Cluster;
using MessagePack;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone swarm ...</c>: cluster-wide verbs, as <c>docker swarm</c>.</summary>
internal static class SwarmCommand
{
    public static Command Create()
    {
        Argument<string> role = new("role") { Description = "manager or worker" };
        role.AcceptOnlyFromAmong("manager", "worker");
        Command joinToken = new("join-token", "Print the token that lets a node join this cluster as a manager or a worker.\n"
            + "Example: backbone swarm join-token manager --endpoints 10.0.0.1:2379")
        {
            role,
        };
        joinToken.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            var found = await client.GetAsync(System.Text.Encoding.UTF8.GetString(ClusterSecrets.Key), cancellationToken).ConfigureAwait(false);
            if (found.Kvs.Count == 0)
            {
                await Console.Error.WriteLineAsync("Error: this node is not part of a cluster (it was started without --init or --join)").ConfigureAwait(false);
                return 1;
            }

            ClusterSecrets secrets = MessagePackSerializer.Deserialize<ClusterSecrets>(found.Kvs[0].Value.Memory);
            JoinRole wanted = parse.GetValue(role) == "manager" ? JoinRole.Manager : JoinRole.Worker;
            Console.WriteLine(secrets.Token(wanted));
            return 0;
        }));

        Command swarm = new("swarm", "Cluster-wide operations (join tokens).");
        swarm.Subcommands.Add(joinToken);
        return swarm;
    }
}
