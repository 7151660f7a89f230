using System.Runtime.CompilerServices;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Control;

/// <summary><see cref="IEventFeed"/> over the etcd v3 Watch API of any member, as an etcd client watches.</summary>
public sealed class ClientEventFeed(CallInvoker invoker) : IEventFeed
{
    /// <inheritdoc/>
    /// <remarks>A start revision of 0 means "changes after now", as etcd's.</remarks>
    public async IAsyncEnumerable<EventBatch> EventsAsync(string prefix, long startRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call = new Watch.WatchClient(invoker).Watch(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(prefix)), StartRevision = startRevision },
        }, cancellationToken).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            WatchResponse response = call.ResponseStream.Current;
            if (response.Canceled)
            {
                string why = response.CompactRevision > 0 ? $"revision {startRevision} is compacted (now {response.CompactRevision})" : response.CancelReason;
                throw new InvalidOperationException($"watch on {prefix} cancelled by the server: {why}");
            }

            if (response.Events.Count == 0)
            {
                continue; // created, progress
            }

            var events = new KeyEvent[response.Events.Count];
            for (int i = 0; i < events.Length; i++)
            {
                Mvccpb.Event change = response.Events[i];
                bool deleted = change.Type == Mvccpb.Event.Types.EventType.Delete;
                events[i] = new KeyEvent(change.Kv.Key.ToStringUtf8(), deleted ? ReadOnlyMemory<byte>.Empty : change.Kv.Value.Memory, deleted);
            }

            yield return new EventBatch(response.Header.Revision, events);
        }
    }
}
