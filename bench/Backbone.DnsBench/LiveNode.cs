using Backbone.Control;
using Backbone.Control.Nodes;
using Etcdserverpb;

namespace Backbone.DnsBench;

/// <summary>
/// A node registered as live (<c>/bb/nodes/</c>): the endpoints written here name it as the node
/// running their tasks, as its agent would, so nothing tells them apart from a real agent's.
/// </summary>
public static class LiveNode
{
    /// <summary>The first live node; waits up to 30 s for one (a node registers right after it starts).</summary>
    public static async Task<NodeRecord> FindAsync(IKeyValue kv, CancellationToken cancellationToken)
    {
        DateTime giveUp = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            RangeResponse nodes = await kv.RangeAsync(ControlKeys.PrefixRange(ControlKeys.NodesPrefix), cancellationToken).ConfigureAwait(false);
            if (nodes.Kvs.Count > 0)
            {
                return NodeRecord.Deserialize(nodes.Kvs[0].Value.Memory);
            }

            if (DateTime.UtcNow > giveUp)
            {
                throw new TimeoutException("no node registered under /bb/nodes/ in 30 s");
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }
}
