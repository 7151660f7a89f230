using System.Runtime.CompilerServices;
using System.Text;
using Backbone.Control;
using Backbone.Store.Model;
using Backbone.Store.Watch;

namespace Backbone.Server.Control;

/// <summary><see cref="IEventFeed"/> inside a node: a watch on the engine's hub from a start revision, without the network.</summary>
public sealed class EngineEventFeed(NodeContext node) : IEventFeed
{
    public async IAsyncEnumerable<EventBatch> EventsAsync(string prefix, long startRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using WatchStream stream = node.Engine.OpenWatchStream();
        stream.Create(new WatchSpec { Key = ControlKeys.Bytes(prefix), RangeEnd = ControlKeys.PrefixEnd(prefix), StartRevision = startRevision });
        await foreach (WatchMessage message in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (message.Canceled)
            {
                string why = message.CompactRevision > 0 ? $"revision {startRevision} is compacted (now {message.CompactRevision})" : message.CancelReason;
                throw new InvalidOperationException($"watch on {prefix} cancelled: {why}");
            }

            if (message.Events.Count == 0)
            {
                continue; // created, progress
            }

            var events = new KeyEvent[message.Events.Count];
            for (int i = 0; i < events.Length; i++)
            {
                WatchEvent change = message.Events[i];
                bool deleted = change.Type == WatchEventType.Delete;
                events[i] = new KeyEvent(Encoding.UTF8.GetString(change.Kv.Key), deleted ? ReadOnlyMemory<byte>.Empty : change.Kv.Value, deleted);
            }

            yield return new EventBatch(message.Revision, events);
        }
    }
}
