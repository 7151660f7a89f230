using System.CommandLine;
using Backbone.Api.Peer;
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
            JoinRole wanted = parse.GetValue(role) == "manager" ? JoinRole.Manager : JoinRole.Worker;
            if (await JoinTokens.ReadAsync(client, wanted, cancellationToken).ConfigureAwait(false) is not { } token)
            {
                await Console.Error.WriteLineAsync("Error: this node is not part of a cluster (it was started without --init or --join)").ConfigureAwait(false);
                return 1;
            }

            Console.WriteLine(token);
            return 0;
        }));

        Command leave = new("leave", "Make the node at --endpoints (one node; default the local one) leave its cluster, then stop.\n"
            + "A worker is forgotten by the managers; a manager first gives up its vote (a leader steps down first), which is\n"
            + "refused when the managers left could not keep a quorum, or when it is the only manager. Its data directory is\n"
            + "kept, marked as left: start it again only with --join (the old state is moved aside).\n"
            + "Example: backbone swarm leave --endpoints 10.0.0.3:2379");
        leave.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            if (Backbone.Client.Endpoints.Parse(Backbone.Client.Endpoints.Resolve(parse.GetValue(CliOptions.Endpoints))).Count != 1)
            {
                // Failing over to another endpoint would make another node leave.
                await Console.Error.WriteLineAsync("Error: swarm leave acts on one node: pass only its own endpoint in --endpoints").ConfigureAwait(false);
                return 2;
            }

            try
            {
                LeaveResponse left = await client.InvokeAsync(i => new Node.NodeClient(i).LeaveAsync(new LeaveRequest(), cancellationToken: cancellationToken).ResponseAsync)
                    .ConfigureAwait(false);
                Console.WriteLine(left.Summary);
                return 0;
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Unimplemented)
            {
                await Console.Error.WriteLineAsync("Error: that node is not in a cluster (a standalone node): there is nothing to leave").ConfigureAwait(false);
                return 1;
            }
        }));

        Command swarm = new("swarm", "Cluster-wide operations (join tokens, leave).");
        swarm.Subcommands.Add(joinToken);
        swarm.Subcommands.Add(leave);
        return swarm;
    }
}
