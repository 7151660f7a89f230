using System.Globalization;
using System.Security.Cryptography;
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
public sealed class Scheduler(IKeyValue kv, Func<bool> isLeader, TimeProvider time, Action<string> note)
{
    public static readonly TimeSpan Round = TimeSpan.FromSeconds(1);
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Round, time, stopping).ConfigureAwait(false);
                if (isLeader())
                {
                    await ScheduleOnceAsync(stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                note($"scheduler: {e.Message} (next round in {Round.TotalSeconds:0} s)");
            }
        }
    }

    /// <summary>One round; returns how many services' changes were written.</summary>
    public async Task<int> ScheduleOnceAsync(CancellationToken cancellationToken)
    {
        var read = new TxnRequest();
        foreach (string prefix in new[] { ControlKeys.NodesPrefix, ControlKeys.ServicesPrefix, ControlKeys.TasksPrefix })
        {
            read.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(prefix)) } });
        }

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

            var txn = new TxnRequest();
            foreach (int slot in changes.Put.Select(t => t.Slot).Concat(changes.DeleteSlots))
            {
                long revision = slots.TryGetValue(slot, out (TaskRecord, long Revision) seen) ? seen.Revision : 0;
                txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Task(service.Id, slot)), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision });
            }

            // The service as planned from: a scale or removal since then is planned again next round.
            txn.Compare.Add(new Compare { Key = ByteString.CopyFrom(ControlKeys.Service(service.Id)), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = serviceRevision });
            foreach (TaskRecord task in changes.Put)
            {
                txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFrom(ControlKeys.Task(service.Id, task.Slot)), Value = ByteString.CopyFrom(task.Serialize()) } });
            }

            foreach (int slot in changes.DeleteSlots)
            {
                txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFrom(ControlKeys.Task(service.Id, slot)) } });
            }

            if ((await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                load = planned;
                written++;
                string placed = string.Join(", ", changes.Put.Select(t => $"{t.Name} on {(t.NodeName.Length > 0 ? t.NodeName : "no node yet")}"));
                note($"scheduled {service.Name}: {(placed.Length > 0 ? placed : "")}{(changes.DeleteSlots.Count > 0 ? $"{(placed.Length > 0 ? "; " : "")}removed slots {string.Join(',', changes.DeleteSlots.Select(s => s.ToString(CultureInfo.InvariantCulture)))}" : "")}");
            }
        }

        return written;
    }
}
