using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Backbone.Control;

namespace Backbone.Dns.Tests.Feed;

/// <summary>A watch the test drives: it records where each subscription starts, sends batches to the latest one, or fails it.</summary>
internal sealed class FakeEventFeed : IEventFeed
{
    private readonly Lock gate = new();
    private readonly List<long> starts = [];
    private Channel<EventBatch> current = Channel.CreateUnbounded<EventBatch>();

    /// <summary>The start revision of every subscription so far.</summary>
    public IReadOnlyList<long> Starts
    {
        get
        {
            lock (gate)
            {
                return [.. starts];
            }
        }
    }

    public void Send(long revision, params KeyEvent[] events)
    {
        lock (gate)
        {
            current.Writer.TryWrite(new EventBatch(revision, events));
        }
    }

    /// <summary>Ends the current subscription with an error, as a compacted or cancelled watch does.</summary>
    public void Fail()
    {
        lock (gate)
        {
            current.Writer.TryComplete(new InvalidOperationException("watch cancelled: compacted"));
        }
    }

    public async IAsyncEnumerable<EventBatch> EventsAsync(string prefix, long startRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Channel<EventBatch> channel;
        lock (gate)
        {
            current = Channel.CreateUnbounded<EventBatch>();
            channel = current;
            starts.Add(startRevision);
        }

        await foreach (EventBatch batch in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return batch;
        }
    }
}
