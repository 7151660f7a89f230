using System.Net;
using Backbone.Control;
using Backbone.Control.Nodes;
using Backbone.Overlay.Membership;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Overlay.Agent;

/// <summary>
/// Runs this node's failure detector (SWIM on UDP and TCP 7946, authenticated with a key from
/// the cluster's secret) against every other node in <c>/bb/nodes/</c>, and publishes which of
/// them it holds dead at <c>/bb/reach/&lt;this node&gt;</c> under the node's lease, at once when
/// that set changes. <see cref="DownNodes"/> combines every node's report; the DNS table and
/// the agents' tunnels then leave a dead host out within about 3 s, long before its lease (10 s)
/// runs out.
/// </summary>
public sealed class ReachReporter(IKeyValue kv, FailureDetector detector, int probePort, Func<long> lease, TimeProvider time, Action<string> note) : IAsyncDisposable
{
    /// <summary>How often the member list is read again (and the report written, when it changed or the lease did).</summary>
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    private volatile TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string published = "\0"; // nothing yet: the first report is always written

    public async Task RunAsync(CancellationToken stopping)
    {
        detector.MemberStateChanged += OnChange;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                try
                {
                    await RoundAsync(stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    note($"agent: reach report: {e.Message} (again in {Refresh.TotalSeconds:0} s)");
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                await Task.WhenAny(changed.Task, Task.Delay(Refresh, time, wait.Token)).ConfigureAwait(false);
                await wait.CancelAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            detector.MemberStateChanged -= OnChange;
        }
    }

    public ValueTask DisposeAsync() => detector.DisposeAsync();

    private void OnChange(object? sender, MemberStateChange change) => changed.TrySetResult();

    private async Task RoundAsync(CancellationToken cancellationToken)
    {
        // Serializable: this replica's copy, no round trip to the leader each second; a node
        // that joined a moment ago is probed a round later, which costs nothing.
        RangeRequest read = ControlKeys.PrefixRange(ControlKeys.NodesPrefix);
        read.Serializable = true;
        RangeResponse nodes = await kv.RangeAsync(read, cancellationToken).ConfigureAwait(false);
        var members = new List<MemberAddress>();
        foreach (Mvccpb.KeyValue kvp in nodes.Kvs)
        {
            NodeRecord node = NodeRecord.Deserialize(kvp.Value.Memory);
            if (node.Id != detector.NodeId && IPAddress.TryParse(node.Address, out IPAddress? address))
            {
                members.Add(new MemberAddress(node.Id, new IPEndPoint(address, probePort)));
            }
        }

        detector.SetMembers(members);
        long leaseId = lease();
        if (leaseId == 0)
        {
            return; // not registered yet: a report without the node's lease would outlive the node
        }

        // Only members the store still lists: a node that left is no one's business.
        var listed = new HashSet<string>(members.Select(m => m.NodeId), StringComparer.Ordinal);
        string[] dead = [.. detector.Snapshot().Where(m => m.State == MemberState.Dead && listed.Contains(m.NodeId)).Select(m => m.NodeId).Order(StringComparer.Ordinal)];
        string key = string.Join(',', dead) + "@" + leaseId;
        if (key == published)
        {
            return;
        }

        var report = new ReachRecord { ReporterId = detector.NodeId, Unreachable = dead, SinceUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds() };
        var put = new TxnRequest();
        put.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(ControlKeys.Reach(detector.NodeId)), Value = ByteString.CopyFrom(report.Serialize()), Lease = leaseId } });
        await kv.TxnAsync(put, cancellationToken).ConfigureAwait(false);
        if (dead.Length > 0 || published != "\0")
        {
            note($"agent: cannot reach {(dead.Length == 0 ? "nobody" : string.Join(", ", dead))} (reported at {ControlKeys.Reach(detector.NodeId)})");
        }

        published = key;
    }
}
