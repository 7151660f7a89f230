using System.Globalization;
using System.Security.Cryptography;
using Backbone.Control.Networks;
using Backbone.Control.Nodes;
using Backbone.Control.Services;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Control.Scheduling;

/// <summary>
/// Runs on every manager and acts only while <c>isLeader</c> says so: each round it reads nodes,
/// services and tasks at one revision, plans each service (<see cref="SchedulePlanner"/>), and
/// writes each service's changes in one Txn that requires the slots it touches unchanged since
/// that read. A leader that just lost leadership, or two schedulers in one round, can therefore
/// not write a slot twice; the loser's changes are planned again next round from fresh state. It
/// keeps nothing between rounds, so a new leader's scheduler starts cleanly.
/// </summary>
/// <param name="changes">
/// Where the store's changes come from. A plan depends on nothing but what a round reads, so with
/// a feed a round runs only when something it reads changed, when this node has just become the
/// leader, or after <see cref="QuietRound"/> without either (a safety net); without one, every
/// <see cref="Round"/>. Reading everything every second cost an idle manager with 1,000
/// services 4 MB of garbage a second, and a gen-0 collection every few seconds, which pauses the
/// node's DNS listeners too.
/// </param>
public sealed class Scheduler(IKeyValue kv, Func<bool> isLeader, TimeProvider time, Action<string> note, IChangeFeed? changes = null)
{
    public static readonly TimeSpan Round = TimeSpan.FromSeconds(1);

    /// <summary>With a change feed, the longest time between rounds while this node leads.</summary>
    public static readonly TimeSpan QuietRound = TimeSpan.FromSeconds(30);

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>What a round reads; a change under any of them makes the next tick a round.</summary>
    private static readonly string[] Watched = [ControlKeys.NodesPrefix, ControlKeys.ServicesPrefix, ControlKeys.TasksPrefix, ControlKeys.NetworksPrefix, ControlKeys.IpamPrefix];

    /// <summary>1 when something a round reads may have changed since the last round began.</summary>
    private int dirty = 1;

    /// <summary>Ticks (one a <see cref="Round"/>) completed, rounds or not: for tests that step a fake clock.</summary>
    public long Ticks => Interlocked.Read(ref ticks);

    /// <summary>Rounds run (reads of the whole state).</summary>
    public long Rounds => Interlocked.Read(ref rounds);

    private long ticks;
    private long rounds;

    public async Task RunAsync(CancellationToken stopping)
    {
        if (changes is not null)
        {
            foreach (string prefix in Watched)
            {
                _ = ChangeFollower.FollowAsync(changes, prefix, _ => Volatile.Write(ref dirty, 1),
                    e => note($"scheduler: change feed on {prefix}: {e.Message} (following again in 1 s)"), time, stopping);
            }
        }

        bool led = false;
        long lastRound = time.GetTimestamp();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Round, time, stopping).ConfigureAwait(false);
                bool leads = isLeader();
                bool due = leads && (changes is null || !led || time.GetElapsedTime(lastRound) >= QuietRound || Interlocked.Exchange(ref dirty, 0) == 1);
                led = leads;
                if (due)
                {
                    Interlocked.Exchange(ref dirty, 0); // this round reads what changed so far
                    Interlocked.Increment(ref rounds);
                    await ScheduleOnceAsync(stopping).ConfigureAwait(false);
                    lastRound = time.GetTimestamp(); // quiet is counted from the end of a round, however long it took
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Volatile.Write(ref dirty, 1); // the round did not finish: the next tick runs one
                note($"scheduler: {e.Message} (next round in {Round.TotalSeconds:0} s)");
            }
            finally
            {
                Interlocked.Increment(ref ticks);
            }
        }
    }

    /// <summary>One round; returns how many services' changes were written.</summary>
    public async Task<int> ScheduleOnceAsync(CancellationToken cancellationToken)
    {
        TxnRequest read = ControlKeys.ReadPrefixes(ControlKeys.NodesPrefix, ControlKeys.ServicesPrefix, ControlKeys.TasksPrefix, ControlKeys.NetworksPrefix, ControlKeys.IpamPrefix);
        read.Success[4].RequestRange.KeysOnly = true; // addresses: which are taken is all it needs

        TxnResponse state = await kv.TxnAsync(read, cancellationToken).ConfigureAwait(false);
        List<NodeRecord> nodes = [.. state.Responses[0].ResponseRange.Kvs.Select(k => NodeRecord.Deserialize(k.Value.Memory))];
        List<(ServiceRecord Service, long Revision)> services = [.. state.Responses[1].ResponseRange.Kvs.Select(k => (ServiceRecord.Deserialize(k.Value.Memory), k.ModRevision))];
        var tasks = new Dictionary<string, Dictionary<int, (TaskRecord Task, long Revision)>>(StringComparer.Ordinal);
        var load = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Mvccpb.KeyValue kvp in state.Responses[2].ResponseRange.Kvs)
        {
            TaskRecord task = TaskRecord.Deserialize(kvp.Value.Memory);
            if (!tasks.TryGetValue(task.ServiceId, out Dictionary<int, (TaskRecord, long)>? slots))
            {
                tasks[task.ServiceId] = slots = [];
            }

            slots[task.Slot] = (task, kvp.ModRevision);
            if (task.NodeId.Length > 0)
            {
                load[task.NodeId] = (load.TryGetValue(task.NodeId, out int count) ? count : 0) + 1;
            }
        }

        Dictionary<string, NetworkRecord> networks = state.Responses[3].ResponseRange.Kvs.Select(k => NetworkRecord.Deserialize(k.Value.Memory)).ToDictionary(n => n.Id, StringComparer.Ordinal);
        Dictionary<string, HashSet<uint>> used = UsedAddresses(state.Responses[4].ResponseRange.Kvs);
        int written = 0;
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach ((ServiceRecord service, long serviceRevision) in services.OrderBy(s => s.Service.Name, StringComparer.Ordinal))
        {
            Dictionary<int, (TaskRecord Task, long Revision)> slots = tasks.GetValueOrDefault(service.Id) ?? [];
            var planned = new Dictionary<string, int>(load, StringComparer.Ordinal); // the round's load changes only if this service's Txn lands
            ScheduleChanges changes = SchedulePlanner.Plan(service, slots.ToDictionary(s => s.Key, s => s.Value.Task), nodes, planned,
                () => RandomNumberGenerator.GetString(IdAlphabet, 25), now);
            if (changes.IsEmpty)
            {
                continue;
            }

            var taken = used.ToDictionary(u => u.Key, u => new HashSet<uint>(u.Value), StringComparer.Ordinal); // this round's picks count only if the Txn lands
            // A task still pending for the same reason is not written again (each write is a new revision every round).
            List<TaskRecord> put = [.. TaskAddressing.Assign(service, changes.Put, networks, taken).Where(t =>
                !(t.State == "pending" && slots.TryGetValue(t.Slot, out (TaskRecord Task, long) old) && old.Task.State == "pending" && old.Task.Message == t.Message))];
            if (put.Count == 0 && changes.DeleteSlots.Count == 0)
            {
                continue;
            }

            var txn = new TxnRequest();
            foreach (int slot in put.Select(t => t.Slot).Concat(changes.DeleteSlots))
            {
                long revision = slots.TryGetValue(slot, out (TaskRecord, long Revision) seen) ? seen.Revision : 0;
                txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Task(service.Id, slot)), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision });
            }

            // The service as planned from: a scale or removal since then is planned again next round.
            txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Service(service.Id)), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = serviceRevision });
            foreach (TaskRecord task in put)
            {
                txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(ControlKeys.Task(service.Id, task.Slot)), Value = ByteString.CopyFrom(task.Serialize()) } });
                foreach (TaskAttachment attachment in task.Networks)
                {
                    // Each address still free: an allocation outside the scheduler (a VIP, a
                    // standalone container) that took it since the read fails the Txn, and the
                    // next round picks another.
                    byte[] address = ControlKeys.Address(attachment.NetworkId, attachment.Address);
                    txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(address), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
                    txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(address), Value = ByteString.CopyFromUtf8(task.AddressOwner) } });
                }
            }

            foreach (int slot in changes.DeleteSlots)
            {
                txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFrom(ControlKeys.Task(service.Id, slot)) } });
            }

            // The addresses of the tasks this Txn replaces or removes go with them.
            foreach (int slot in put.Select(t => t.Slot).Concat(changes.DeleteSlots))
            {
                if (slots.TryGetValue(slot, out (TaskRecord Task, long Revision) old))
                {
                    foreach (TaskAttachment attachment in old.Task.Networks)
                    {
                        txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFrom(ControlKeys.Address(attachment.NetworkId, attachment.Address)) } });
                    }
                }
            }

            if (!(await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                Volatile.Write(ref dirty, 1); // planned from a state that moved: plan it again next tick
            }
            else
            {
                load = planned;
                used = taken;
                written++;
                string placed = string.Join(", ", put.Select(t => $"{t.Name} on {(t.NodeName.Length > 0 ? t.NodeName : t.Message.Length > 0 ? $"no node ({t.Message})" : "no node yet")}"));
                note($"scheduled {service.Name}: {(placed.Length > 0 ? placed : "")}{(changes.DeleteSlots.Count > 0 ? $"{(placed.Length > 0 ? "; " : "")}removed slots {string.Join(',', changes.DeleteSlots.Select(s => s.ToString(CultureInfo.InvariantCulture)))}" : "")}");
            }
        }

        return written;
    }

    /// <summary>The allocated addresses of every network, from the keys under <c>/bb/ipam/</c>.</summary>
    private static Dictionary<string, HashSet<uint>> UsedAddresses(IEnumerable<Mvccpb.KeyValue> keys)
    {
        var used = new Dictionary<string, HashSet<uint>>(StringComparer.Ordinal);
        foreach (Mvccpb.KeyValue key in keys)
        {
            string[] parts = key.Key.ToStringUtf8()[ControlKeys.IpamPrefix.Length..].Split('/');
            if (parts.Length == 2 && Ipv4Cidr.TryParseAddress(parts[1], out uint address))
            {
                if (!used.TryGetValue(parts[0], out HashSet<uint>? set))
                {
                    used[parts[0]] = set = [];
                }

                set.Add(address);
            }
        }

        return used;
    }
}
