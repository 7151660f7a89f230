using System.CommandLine;
using System.Text;
using Backbone.Client;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone kv ...</c>: a small etcdctl-like client (same output shapes where etcdctl has them).</summary>
internal static class KvCommand
{
    private static readonly Option<bool> Prefix = new("--prefix") { Description = "Apply to every key with KEY as prefix" };
    private static readonly Option<bool> FromKey = new("--from-key") { Description = "Apply to every key >= KEY (byte order)" };
    private static readonly Option<bool> PrevKv = new("--prev-kv") { Description = "Also print the previous key-value" };
    private static readonly Option<string> WriteOut = new("--write-out", "-w")
    {
        Description = "Output format: simple or json",
        DefaultValueFactory = _ => "simple",
    };

    public static Command Create()
    {
        Command kv = new("kv", "Read and write keys, watch them, manage leases and compaction (like etcdctl).");
        kv.Subcommands.Add(PutCommand());
        kv.Subcommands.Add(GetCommand());
        kv.Subcommands.Add(DelCommand());
        kv.Subcommands.Add(WatchCommand.Create());
        kv.Subcommands.Add(LeaseCommand.Create());
        kv.Subcommands.Add(CompactCommand());
        return kv;
    }

    /// <summary>The range_end for --prefix / --from-key, as etcdctl computes it.</summary>
    public static ByteString RangeEnd(ParseResult parse, string key)
    {
        if (parse.GetValue(Prefix))
        {
            return ByteString.CopyFrom(Backbone.Core.KeyRange.PrefixEnd(Encoding.UTF8.GetBytes(key)));
        }

        return parse.GetValue(FromKey) ? ByteString.CopyFrom(0) : ByteString.Empty;
    }

    public static void AddRangeOptions(Command command)
    {
        command.Options.Add(Prefix);
        command.Options.Add(FromKey);
    }

    public static void AddPrevKv(Command command) => command.Options.Add(PrevKv);

    public static bool WantsPrevKv(ParseResult parse) => parse.GetValue(PrevKv);

    private static Command PutCommand()
    {
        Argument<string> key = new("key") { Description = "The key to write" };
        Argument<string> value = new("value") { Description = "The value to write" };
        Option<string?> lease = new("--lease") { Description = "Attach the key to this lease (hex id, as printed by `kv lease grant`)" };
        Command command = new("put", "Write a key. Prints OK.\nExample: backbone kv put /config/mode fast") { key, value, lease };
        AddPrevKv(command);
        command.SetAction((parse, ct) => CliOptions.RunAsync(parse, async client =>
        {
            PutResponse response = await client.PutAsync(new PutRequest
            {
                Key = ByteString.CopyFromUtf8(parse.GetValue(key)!),
                Value = ByteString.CopyFromUtf8(parse.GetValue(value)!),
                Lease = LeaseCommand.ParseId(parse.GetValue(lease)),
                PrevKv = WantsPrevKv(parse),
            }, ct).ConfigureAwait(false);
            Console.WriteLine("OK");
            if (response.PrevKv is { } prev)
            {
                Console.WriteLine(prev.Key.ToStringUtf8());
                Console.WriteLine(prev.Value.ToStringUtf8());
            }

            return 0;
        }));
        return command;
    }

    private static Command GetCommand()
    {
        Argument<string> key = new("key") { Description = "The key (or first key) to read" };
        Option<long> rev = new("--rev") { Description = "Read as of this revision (0 = latest)" };
        Option<long> limit = new("--limit") { Description = "Return at most this many keys (0 = all)" };
        Option<bool> keysOnly = new("--keys-only") { Description = "Print keys without values" };
        Option<bool> countOnly = new("--count-only") { Description = "Print only the number of keys" };
        Option<bool> valueOnly = new("--print-value-only") { Description = "Print values without keys" };
        Command command = new("get", "Read a key, a prefix (--prefix) or every key from KEY on (--from-key).\nExample: backbone kv get /config --prefix")
        {
            key, rev, limit, keysOnly, countOnly, valueOnly, WriteOut,
        };
        AddRangeOptions(command);
        command.SetAction((parse, ct) => CliOptions.RunAsync(parse, async client =>
        {
            string k = parse.GetValue(key)!;
            RangeResponse response = await client.RangeAsync(new RangeRequest
            {
                Key = ByteString.CopyFromUtf8(k),
                RangeEnd = RangeEnd(parse, k),
                Revision = parse.GetValue(rev),
                Limit = parse.GetValue(limit),
                KeysOnly = parse.GetValue(keysOnly),
                CountOnly = parse.GetValue(countOnly),
            }, ct).ConfigureAwait(false);
            if (parse.GetValue(WriteOut) == "json")
            {
                Console.WriteLine(JsonFormatter.Default.Format(response));
                return 0;
            }

            if (parse.GetValue(countOnly))
            {
                Console.WriteLine(response.Count);
                return 0;
            }

            foreach (Mvccpb.KeyValue kv in response.Kvs)
            {
                if (!parse.GetValue(valueOnly))
                {
                    Console.WriteLine(kv.Key.ToStringUtf8());
                }

                if (!parse.GetValue(keysOnly))
                {
                    Console.WriteLine(kv.Value.ToStringUtf8());
                }
            }

            return 0;
        }));
        return command;
    }

    private static Command DelCommand()
    {
        Argument<string> key = new("key") { Description = "The key (or first key) to delete" };
        Command command = new("del", "Delete a key or a range. Prints how many keys were deleted.\nExample: backbone kv del /config --prefix") { key };
        AddRangeOptions(command);
        AddPrevKv(command);
        command.SetAction((parse, ct) => CliOptions.RunAsync(parse, async client =>
        {
            string k = parse.GetValue(key)!;
            DeleteRangeResponse response = await client.DeleteRangeAsync(new DeleteRangeRequest
            {
                Key = ByteString.CopyFromUtf8(k),
                RangeEnd = RangeEnd(parse, k),
                PrevKv = WantsPrevKv(parse),
            }, ct).ConfigureAwait(false);
            Console.WriteLine(response.Deleted);
            foreach (Mvccpb.KeyValue prev in response.PrevKvs)
            {
                Console.WriteLine(prev.Key.ToStringUtf8());
                Console.WriteLine(prev.Value.ToStringUtf8());
            }

            return 0;
        }));
        return command;
    }

    private static Command CompactCommand()
    {
        Argument<long> revision = new("revision") { Description = "Discard history before this revision" };
        Option<bool> physical = new("--physical") { Description = "Wait until the old revisions have left the storage engine" };
        Command command = new("compact", "Compact the history: reads and watches before REVISION then fail as compacted.\nExample: backbone kv compact 1000") { revision, physical };
        command.SetAction((parse, ct) => CliOptions.RunAsync(parse, async client =>
        {
            long rev = parse.GetValue(revision);
            await client.CompactAsync(rev, parse.GetValue(physical), ct).ConfigureAwait(false);
            Console.WriteLine($"compacted revision {rev}");
            return 0;
        }));
        return command;
    }
}
