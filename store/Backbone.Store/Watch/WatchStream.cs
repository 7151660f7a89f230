using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Backbone.Store.Watch;

/// <summary>
/// The server side of one client watch stream: many watchers multiplexed onto one ordered queue
/// of <see cref="WatchMessage"/>s that the transport drains with <see cref="ReadAllAsync"/>.
///
/// The queue is bounded (counting every queued message) (<see cref="limit"/>): a synced watcher whose events
/// do not fit is moved to catch-up from history instead of stalling the apply path or other
/// watchers. Control messages (created, canceled, progress) always fit, since only the client's
/// own requests produce them.
/// </summary>
public sealed class WatchStream : IAsyncDisposable
{
    private readonly WatchHub hub;
    private readonly int limit;
    private readonly Channel<WatchMessage> queue = Channel.CreateUnbounded<WatchMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock spaceLock = new();
    private int queuedEvents;
    private TaskCompletionSource spaceFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancelled when the stream closes, so catch-up tasks waiting for room give up instead of lingering.</summary>
    private readonly CancellationTokenSource closed = new();

    internal WatchStream(WatchHub hub, int limit)
    {
        this.hub = hub;
        this.limit = limit;
    }

    // Guarded by the hub's gate.
    internal Dictionary<long, Watcher> Watchers { get; } = [];

    internal long NextAutoId { get; set; }

    internal bool ProgressRequested { get; set; }

    /// <summary>Creates a watch; its "created" message is queued before any of its events.</summary>
    public void Create(WatchSpec spec) => hub.Create(this, spec);

    /// <summary>Cancels a watch; false when the stream has no such watch.</summary>
    public bool Cancel(long watchId) => hub.Cancel(this, watchId);

    /// <summary>Asks for a progress message (etcd 3.5: one for the whole stream, once every watcher is synced).</summary>
    public void RequestProgress() => hub.RequestProgress(this);

    public async IAsyncEnumerable<WatchMessage> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (WatchMessage message in queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            lock (spaceLock)
            {
                queuedEvents--;
                spaceFreed.TrySetResult();
            }

            yield return message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        hub.Close(this);
        queue.Writer.TryComplete();
        await closed.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>Queues a control message; it always fits (it counts toward the bound all the same).</summary>
    internal void EnqueueControl(WatchMessage message)
    {
        lock (spaceLock)
        {
            queuedEvents++;
        }

        queue.Writer.TryWrite(message);
    }

    /// <summary>Queues events if there is room; false means the watcher must catch up from history.</summary>
    internal bool TryEnqueueEvents(WatchMessage message)
    {
        lock (spaceLock)
        {
            if (queuedEvents >= limit)
            {
                return false;
            }

            queuedEvents++;
        }

        queue.Writer.TryWrite(message);
        return true;
    }

    /// <summary>
    /// Waits for room and takes it (catch-up tasks only: it slows only this stream). The caller then
    /// queues its message with <see cref="QueueReserved"/> or gives the room back with
    /// <see cref="Unreserve"/>, under the hub's gate, so that the check "is the watch still active"
    /// and the queueing are one step with respect to Cancel.
    /// </summary>
    internal async ValueTask ReserveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (spaceLock)
            {
                if (queuedEvents < limit)
                {
                    queuedEvents++;
                    return;
                }

                if (spaceFreed.Task.IsCompleted)
                {
                    spaceFreed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wait = spaceFreed.Task;
            }

            using CancellationTokenSource either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closed.Token);
            await wait.WaitAsync(either.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Queues a message into room taken with <see cref="ReserveAsync"/>.</summary>
    internal void QueueReserved(WatchMessage message) => queue.Writer.TryWrite(message);

    /// <summary>Gives back room taken with <see cref="ReserveAsync"/> and not used.</summary>
    internal void Unreserve()
    {
        lock (spaceLock)
        {
            queuedEvents--;
            spaceFreed.TrySetResult();
        }
    }
}
