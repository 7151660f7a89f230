using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Backbone.Api.Peer;
using Backbone.Client;
using Backbone.Server.Cluster;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone node ls|rm|promote|demote</c>: the nodes of a cluster, as <c>docker node ...</c>.</summary>
internal static class NodeAdminCommands
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);

    public static Command List()
    {
        Option<string> format = new("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        Command ls = new("ls", "List the cluster's managers and workers with their role and health (asks each one for its status).\n"
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

            foreach (WorkerRecord worker in await WorkersAsync(client, cancellationToken).ConfigureAwait(false))
            {
                rows.Add(await DescribeAsync(worker, CliOptions.Tls(parse), cancellationToken).ConfigureAwait(false));
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

    public static Command Promote()
    {
        Argument<string> node = new("node") { Description = "Name or id (hex, as node ls shows it) of the worker to promote" };
        Command promote = new("promote", "Make a worker a manager: it restarts in place with Raft, catches up and gets a vote.\n"
            + "Waits until it is a voter (up to a minute), as node ls would show it.\n"
            + "Example: backbone node promote w1 --endpoints 10.0.0.1:2379")
        {
            node,
        };
        promote.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            string wanted = parse.GetValue(node)!;
            IReadOnlyList<WorkerRecord> workers = await WorkersAsync(client, cancellationToken).ConfigureAwait(false);
            WorkerRecord? target = workers.FirstOrDefault(w => w.Name == wanted || Hex(w.MemberId) == wanted.ToLowerInvariant());
            if (target is null)
            {
                MemberListResponse managers = await client.MemberListAsync(cancellationToken).ConfigureAwait(false);
                bool isManager = managers.Members.Any(m => m.Name == wanted || Hex(m.ID) == wanted.ToLowerInvariant());
                await Console.Error.WriteLineAsync(isManager
                    ? $"Error: {wanted} is already a manager"
                    : $"Error: no worker named or numbered '{wanted}' (see: backbone node ls)").ConfigureAwait(false);
                return 1;
            }

            await client.InvokeAsync(i => new Peer.PeerClient(i).PromoteAsync(new PromoteRequest { MemberId = target.MemberId }, cancellationToken: cancellationToken).ResponseAsync)
                .ConfigureAwait(false);
            Console.WriteLine($"Promoting {target.Name}: it restarts as a manager and asks for its vote...");
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(RoleChangeWait);
            while (!(await client.MemberListAsync(deadline.Token).ConfigureAwait(false)).Members.Any(m => m.ID == target.MemberId))
            {
                await Task.Delay(250, deadline.Token).ConfigureAwait(false);
            }

            Console.WriteLine($"{target.Name} is a manager now.");
            return 0;
        }));
        return promote;
    }

    public static Command Demote()
    {
        Argument<string> node = new("node") { Description = "Name or id (hex, as node ls shows it) of the manager to demote" };
        Command demote = new("demote", "Make a manager a worker: it loses its vote and restarts in place passing calls to the managers\n"
            + "(its store is kept aside in its data directory). Refused when the managers left could not keep a quorum.\n"
            + "A leader steps down first. Example: backbone node demote n3 --endpoints 10.0.0.1:2379")
        {
            node,
        };
        demote.SetAction((parse, cancellationToken) => CliOptions.RunAsync(parse, async client =>
        {
            string wanted = parse.GetValue(node)!;
            MemberListResponse list = await client.MemberListAsync(cancellationToken).ConfigureAwait(false);
            Member? target = list.Members.FirstOrDefault(m => m.Name == wanted || Hex(m.ID) == wanted.ToLowerInvariant());
            if (target is null)
            {
                await Console.Error.WriteLineAsync($"Error: no manager named or numbered '{wanted}' (see: backbone node ls)").ConfigureAwait(false);
                return 1;
            }

            DemoteResponse demoted = await client.InvokeAsync(i => new Peer.PeerClient(i)
                .DemoteAsync(new DemoteRequest { MemberId = target.ID }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
            Console.WriteLine($"{demoted.Name} is no longer a manager: it restarts as a worker.");
            return 0;
        }));
        return demote;
    }

    private static readonly TimeSpan RoleChangeWait = TimeSpan.FromSeconds(60);

    private static string Hex(ulong id) => id.ToString("x", CultureInfo.InvariantCulture);

    private static async Task<IReadOnlyList<WorkerRecord>> WorkersAsync(BackboneClient client, CancellationToken cancellationToken)
    {
        RangeResponse found = await client.RangeAsync(new RangeRequest
        {
            Key = ByteString.CopyFrom(WorkerRecord.Prefix),
            RangeEnd = ByteString.CopyFrom(Backbone.Core.KeyRange.PrefixEnd(WorkerRecord.Prefix)),
        }, cancellationToken).ConfigureAwait(false);
        return [.. found.Kvs.Select(kv => WorkerRecord.TryDeserialize(kv.Value.Memory)).OfType<WorkerRecord>()];
    }

    private static async Task<NodeRow> DescribeAsync(WorkerRecord worker, ClientTlsOptions tls, CancellationToken cancellationToken)
    {
        string role = worker.PromotionPending ? "promoting" : "worker";
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StatusTimeout);
            using var one = new BackboneClient(worker.ClientUrl, tls);
            await one.StatusAsync(timeout.Token).ConfigureAwait(false);
            return new NodeRow(Hex(worker.MemberId), worker.Name, "reachable", role, 0, worker.ClientUrl, "");
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException)
        {
            return new NodeRow(Hex(worker.MemberId), worker.Name, "unreachable", role, 0, worker.ClientUrl, "");
        }
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
