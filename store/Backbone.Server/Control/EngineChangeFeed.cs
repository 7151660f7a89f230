using System.Runtime.CompilerServices;
using Backbone.Control;
using Backbone.Store.Watch;

namespace Backbone.Server.Control;

/// <summary><see cref="IChangeFeed"/> inside a node: a watch on the engine's hub, without the network.</summary>
public sealed class EngineChangeFeed(NodeContext node) : IChangeFeed
{
    public async IAsyncEnumerable<long> ChangesAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using WatchStream stream = node.Engine.OpenWatchStream();
        stream.Create(new WatchSpec { Key = ControlKeys.Bytes(prefix), RangeEnd = ControlKeys.PrefixEnd(prefix) });
        await foreach (WatchMessage message in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (message.Canceled)
            {
                throw new InvalidOperationException($"watch on {prefix} cancelled: {message.CancelReason}");
            }

            if (message.Events.Count > 0)
            {
                yield return message.Revision;
            }
        }
    }
}
