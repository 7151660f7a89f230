using System.CommandLine;
using System.Globalization;
using Etcdserverpb;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone kv lease ...</c>: grant, revoke, keep-alive, timetolive, list; ids in hex as etcdctl prints them.</summary>
internal static class LeaseCommand
{
    public static long ParseId(string? hex)
    {
        if (string.IsNullOrEmpty(hex))
        {
            return 0;
        }

        return long.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long id)
            ? id
            : throw new ArgumentException($"'{hex}' is not a lease id: use the hex id printed by `backbone kv lease grant`");
    }

    public static Command Create()
    {
        Command lease = new("lease", "Leases: keys attached to a lease are deleted when it expires or is revoked.");

        Argument<long> ttl = new("ttl") { Description = "Time to live in seconds (minimum 2)" };
        Command grant = new("grant", "Grant a lease.\nExample: backbone kv lease grant 10") { ttl };
        grant.SetAction((parse, ct) => CliOptions.RunAsync(parse, async client =>
        {
            LeaseGrantResponse granted = await client.LeaseGrantAsync(parse.GetValue(ttl), cancellationToken: ct).ConfigureAwait(false);
            Console.WriteLine($"lease {granted.ID:x16} granted with TTL({granted.TTL}s)");
            return 0;
        }));

        Argument<string> revokeId = new("id") { Description = "Lease id (hex)" };
        Command revoke = new("revoke", "Revoke a lease and delete its keys.") { revokeId };
        revoke.SetAction((parse, ct) => CliOptions.RunAsync(parse, async client =>
        {
            long id = ParseId(parse.GetValue(revokeId));
            await client.LeaseRevokeAsync(id, ct).ConfigureAwait(false);
            Console.WriteLine($"lease {id:x16} revoked");
            return 0;
        }));

        Argument<string> ttlId = new("id") { Description = "Lease id (hex)" };
        Option<bool> keys = new("--keys") { Description = "Also list the attached keys" };
        Command timeToLive = new("timetolive", "Show a lease's remaining time.") { ttlId, keys };
        timeToLive.SetAction((parse, ct) => CliOptions.RunAsync(parse, async client =>
        {
            long id = ParseId(parse.GetValue(ttlId));
            LeaseTimeToLiveResponse r = await client.LeaseTimeToLiveAsync(id, parse.GetValue(keys), ct).ConfigureAwait(false);
            if (r.TTL == -1)
            {
                Console.WriteLine($"lease {id:x16} already expired");
                return 0;
            }

            string attached = parse.GetValue(keys) ? $", attached keys([{string.Join(' ', r.Keys.Select(k => k.ToStringUtf8()))}])" : "";
            Console.WriteLine($"lease {id:x16} granted with TTL({r.GrantedTTL}s), remaining({r.TTL}s){attached}");
            return 0;
        }));

        Command list = new("list", "List live leases.");
        list.SetAction((parse, ct) => CliOptions.RunAsync(parse, async client =>
        {
            LeaseLeasesResponse r = await client.LeasesAsync(ct).ConfigureAwait(false);
            Console.WriteLine($"found {r.Leases.Count} leases");
            foreach (LeaseStatus status in r.Leases)
            {
                Console.WriteLine($"{status.ID:x16}");
            }

            return 0;
        }));

        Argument<string> keepId = new("id") { Description = "Lease id (hex)" };
        Option<bool> once = new("--once") { Description = "Renew once and exit" };
        Command keepAlive = new("keep-alive", "Keep a lease alive until Ctrl-C (or once with --once).") { keepId, once };
        keepAlive.SetAction((parse, ct) => CliOptions.RunAsync(parse, async client =>
        {
            long id = ParseId(parse.GetValue(keepId));
            await foreach (LeaseKeepAliveResponse r in client.KeepAliveAsync(id, ct).ConfigureAwait(false))
            {
                if (r.TTL <= 0)
                {
                    await Console.Error.WriteLineAsync($"lease {id:x16} expired or revoked.").ConfigureAwait(false);
                    return 1;
                }

                Console.WriteLine($"lease {id:x16} keepalived with TTL({r.TTL})");
                if (parse.GetValue(once))
                {
                    return 0;
                }
            }

            return 0;
        }));

        lease.Subcommands.Add(grant);
        lease.Subcommands.Add(revoke);
        lease.Subcommands.Add(timeToLive);
        lease.Subcommands.Add(list);
        lease.Subcommands.Add(keepAlive);
        return lease;
    }
}
