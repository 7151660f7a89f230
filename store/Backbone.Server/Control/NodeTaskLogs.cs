using Backbone.Api.Control;
using Backbone.Control;
using Backbone.Control.Nodes;
using Backbone.Control.Scheduling;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Server.Control;

/// <summary>
/// The task logs of this node (its agent writes them under the data directory) and the
/// gathering of a service's logs from every node that runs one of its tasks: this node's from
/// disk, the others' through their <c>TaskLogs</c> service. A node that does not answer is
/// reported, never waited on past the deadline.
/// </summary>
public sealed class NodeTaskLogs(string selfId, string selfName, string logDirectory, IKeyValue kv, Func<string, CallInvoker>? invokerFor)
{
    private static readonly TimeSpan PerNode = TimeSpan.FromSeconds(5);

    public string SelfId => selfId;

    public string SelfName => selfName;

    public IReadOnlyList<TaskLog> ReadLocal(IEnumerable<string> taskIds, int tail)
    {
        var logs = new List<TaskLog>();
        foreach (string id in taskIds.Where(IsTaskId)) // anything else is not a task of ours, and must never become a path
        {
            var log = new TaskLog { Task = id, NodeName = selfName };
            log.Lines.AddRange(Backbone.Overlay.Runtime.TaskLog.Read(logDirectory, id, tail > 0 ? tail : -1));
            logs.Add(log);
        }

        return logs;
    }

    public async Task<ServiceLogsResponse> GatherAsync(IReadOnlyList<TaskView> tasks, int tail, CancellationToken cancellationToken)
    {
        var response = new ServiceLogsResponse();
        Dictionary<string, TaskRecord> byId = tasks.Select(t => t.Task).ToDictionary(t => t.Id, StringComparer.Ordinal);
        foreach (IGrouping<string, TaskRecord> node in byId.Values.Where(t => t.NodeId.Length > 0).GroupBy(t => t.NodeId, StringComparer.Ordinal))
        {
            IReadOnlyList<TaskLog> found;
            try
            {
                found = node.Key == selfId ? ReadLocal(node.Select(t => t.Id), tail) : await ReadRemoteAsync(node.Key, node.Select(t => t.Id), tail, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
            {
                response.Unreachable.Add($"{node.First().NodeName}: {(e is RpcException rpc ? rpc.Status.Detail : e.Message)}");
                continue;
            }

            foreach (TaskLog log in found)
            {
                if (byId.TryGetValue(log.Task, out TaskRecord? task))
                {
                    response.Tasks.Add(new TaskLog { Task = task.Name, NodeName = task.NodeName, Lines = { log.Lines } });
                }
            }
        }

        return response;
    }

    private static bool IsTaskId(string id) => id.Length is > 0 and <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));

    private async Task<IReadOnlyList<TaskLog>> ReadRemoteAsync(string nodeId, IEnumerable<string> taskIds, int tail, CancellationToken cancellationToken)
    {
        RangeResponse record = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(ControlKeys.Node(nodeId)) }, cancellationToken).ConfigureAwait(false);
        if (record.Kvs.Count == 0)
        {
            throw new InvalidOperationException("the node is down (its lease ran out), so its logs cannot be read now");
        }

        NodeRecord node = NodeRecord.Deserialize(record.Kvs[0].Value.Memory);
        if (node.ClientUrl.Length == 0 || invokerFor is null)
        {
            throw new InvalidOperationException("this node has no way to reach it (an older node, or no cluster link)");
        }

        var request = new ReadTaskLogsRequest { Tail = tail };
        request.TaskIds.AddRange(taskIds);
        ReadTaskLogsResponse answer = await new TaskLogs.TaskLogsClient(invokerFor(node.ClientUrl))
            .ReadAsync(request, deadline: DateTime.UtcNow + PerNode, cancellationToken: cancellationToken).ConfigureAwait(false);
        return answer.Tasks;
    }
}
