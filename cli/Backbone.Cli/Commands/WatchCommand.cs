using System.CommandLine;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Cli.Commands;

/// <summary><c>backbone kv watch</c>: prints events as etcdctl does (TYPE, key, value) until Ctrl-C.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        Argument<string> key = new("key") { Description = "The key (or first key) to watch" };
        Option<long> rev = new("--rev") { Description = "Start from this revision (inclusive; 0 = new changes only)" };
        Command command = new("watch", "Print changes to a key or range as they happen, until Ctrl-C.\nExample: backbone kv watch /config --prefix --rev 1") { key, rev };
        KvCommand.AddRangeOptions(command);
        KvCommand.AddPrevKv(command);
        command.SetAction((parse, ct) => CliOptions.RunAsync(parse, async client =>
        {
            string k = parse.GetValue(key)!;
            WatchCreateRequest create = new()
            {
                Key = ByteString.CopyFromUtf8(k),
                RangeEnd = KvCommand.RangeEnd(parse, k),
                StartRevision = parse.GetValue(rev),
                PrevKv = KvCommand.WantsPrevKv(parse),
            };
            await foreach (WatchResponse response in client.WatchAsync(create, ct).ConfigureAwait(false))
            {
                if (response.Canceled)
                {
                    string reason = response.CompactRevision != 0
                        ? $"etcdserver: mvcc: required revision has been compacted (compacted at {response.CompactRevision})"
                        : response.CancelReason;
                    await Console.Error.WriteLineAsync($"watch was canceled ({reason})").ConfigureAwait(false);
                    return 1;
                }

                foreach (Mvccpb.Event e in response.Events)
                {
                    Console.WriteLine(e.Type == Mvccpb.Event.Types.EventType.Put ? "PUT" : "DELETE");
                    if (e.PrevKv is { } prev)
                    {
                        Console.WriteLine(prev.Key.ToStringUtf8());
                        Console.WriteLine(prev.Value.ToStringUtf8());
                    }

                    Console.WriteLine(e.Kv.Key.ToStringUtf8());
                    Console.WriteLine(e.Kv.Value.ToStringUtf8());
                }

                await Console.Out.FlushAsync(ct).ConfigureAwait(false);
            }

            return 0;
        }));
        return command;
    }
}
