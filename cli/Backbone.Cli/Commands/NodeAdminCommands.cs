using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Backbone.Api.Peer;
using Backbone.Client;
using Etcdserverpb;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone node ls|rm</c>: the managers of a cluster, as <c>docker node ls|rm</c>.</summary>
internal static class NodeAdminCommands
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);

    public static Command List()
    {
        Option<string> format = new("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        Command ls = new("ls", "List the cluster's managers with their role and health (asks each one for its status).\n"
            + "Example: backbone node ls --endpoints 10.0.0.1:2379")
        {
            format,
        };
        ls.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            MemberListResponse list = await client.MemberListAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<NodeRow>();
            foreach (Member member in list.Members)
            {
                rows.Add(await DescribeAsync(member, CliOptions.Tls(parse), cancellationToken).ConfigureAwait(false));
            }

            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }

            Console.WriteLine($"{"ID",-16}  {"NAME",-12}  {"STATUS",-11}  {"ROLE",-9}  {"RAFT INDEX",10}  {"CLIENT",-24}  PEER");
            foreach (NodeRow row in rows)
            {
                Console.WriteLine($"{row.Id,-16}  {row.Name,-12}  {row.Status,-11}  {row.Role,-9}  {row.RaftIndex,10}  {row.Client,-24}  {row.Peer}");
            }

            return 0;
        }));
        return ls;
    }

    public static Command Remove()
    {
        Argument<string> node = new("node") { Description = "Name or id (hex, as node ls shows it) of the manager to remove" };
        Command rm = new("rm", "Remove a manager from the cluster's Raft group. Refused when the managers left could not\n"
            + "keep a quorum, or when it is the leader (stop it first). Stop the removed node afterwards.\n"
            + "Example: backbone node rm n3 --endpoints 10.0.0.1:2379")
        {
            node,
        };
        rm.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            string wanted = parse.GetValue(node)!;
            MemberListResponse list = await client.MemberListAsync(cancellationToken).ConfigureAwait(false);
            Member? target = list.Members.FirstOrDefault(m => m.Name == wanted || m.ID.ToString("x", CultureInfo.InvariantCulture) == wanted.ToLowerInvariant());
            if (target is null)
            {
                await Console.Error.WriteLineAsync($"Error: no manager named or numbered '{wanted}' (see: backbone node ls)").ConfigureAwait(false);
                return 1;
            }

            RemoveMemberResponse removed = await client.InvokeAsync(i => new Peer.PeerClient(i)
                .RemoveMemberAsync(new RemoveMemberRequest { MemberId = target.ID }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            Console.WriteLine($"Removed {removed.Name} ({removed.PeerAddress}) from the managers. Stop that node now: it no longer belongs to the cluster.");
            return 0;
        }));
        return rm;
    }

    private static async Task<NodeRow> DescribeAsync(Member member, ClientTlsOptions tls, CancellationToken cancellationToken)
    {
        string id = member.ID.ToString("x", CultureInfo.InvariantCulture);
        string client = member.ClientURLs.FirstOrDefault() ?? "";
        string peer = member.PeerURLs.FirstOrDefault() ?? "";
        if (client.Length == 0)
        {
            return new NodeRow(id, member.Name, "unknown", "manager", 0, client, peer);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StatusTimeout);
            using var one = new BackboneClient(client, tls); // a client URL has its scheme: https:// ones use the TLS flags
            StatusResponse status = await one.StatusAsync(timeout.Token).ConfigureAwait(false);
            string role = status.Leader == member.ID ? "leader" : status.Leader == 0 ? "no leader" : "follower";
            return new NodeRow(id, member.Name, "reachable", role, (long)status.RaftIndex, client, peer);
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException or ArgumentException)
        {
            return new NodeRow(id, member.Name, "unreachable", "manager", 0, client, peer);
        }
    }

    private sealed record NodeRow(string Id, string Name, string Status, string Role, long RaftIndex, string Client, string Peer);
}
