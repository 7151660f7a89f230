using Backbone.Store.Watch;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// The test's side of one watch stream, as a gRPC client would use it: creates and cancels watches,
/// asks for progress, and reads every message on its own task (optionally slowly, pausing a
/// millisecond now and then). Afterwards <see cref="CloseAsync"/> splits the messages into one
/// <see cref="WatchObservation"/> per watch, pairing Created answers with creates in call order.
///
/// Create, Cancel and RequestProgress are called from one task at a time (the order of creates
/// must be the order of their Created answers).
/// </summary>
internal sealed class WatchClient(string name, WatchStream stream, Random? slowness = null)
{
    private readonly Lock gate = new();
    private readonly List<(string Name, WatchSpec Spec)> creates = [];
    private readonly List<WatchMessage> messages = [];
    private readonly SemaphoreSlim progressArrived = new(0);
    private Task? reader;
    private long progressRevision = -1;

    public string Name { get; } = name;

    public WatchStream Stream { get; } = stream;

    /// <summary>Messages that belong to no active watch (e.g. events after Canceled).</summary>
    public List<string> Strays { get; } = [];

    public int MessageCount
    {
        get
        {
            lock (gate)
            {
                return messages.Count;
            }
        }
    }

    /// <summary>The highest stream-wide progress revision received so far (-1 before any).</summary>
    public long ProgressRevision => Interlocked.Read(ref progressRevision);

    public void StartReading() => reader ??= Task.Run(ReadAsync);

    public void Create(string watchName, WatchSpec spec)
    {
        lock (gate)
        {
            creates.Add((watchName, spec));
        }

        Stream.Create(spec);
    }

    public bool Cancel(long watchId) => Stream.Cancel(watchId);

    /// <summary>
    /// Asks for progress until the stream reports it at or past <paramref name="revision"/>: every
    /// watch then has all its events up to there. False when <paramref name="timeout"/> passes first.
    /// </summary>
    public async Task<bool> WaitForProgressAsync(long revision, TimeSpan timeout)
    {
        using CancellationTokenSource deadline = new(timeout);
        while (ProgressRevision < revision)
        {
            Stream.RequestProgress();
            try
            {
                await progressArrived.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return ProgressRevision >= revision;
            }
        }

        return true;
    }

    /// <summary>Waits until at least <paramref name="count"/> messages have been read. False when <paramref name="timeout"/> passes first.</summary>
    public async Task<bool> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        using CancellationTokenSource deadline = new(timeout);
        while (MessageCount < count)
        {
            try
            {
                await Task.Delay(1, deadline.Token); // poll interval
            }
            catch (OperationCanceledException)
            {
                return MessageCount >= count;
            }
        }

        return true;
    }

    /// <summary>Waits until a stream-wide progress message arrives, without asking for one.</summary>
    public Task<bool> WaitForAnyProgressAsync(TimeSpan timeout) => progressArrived.WaitAsync(timeout);

    /// <summary>Ends the stream, waits for the reader, and splits what it read into observations; watches still active must be complete through <paramref name="requiredThroughRevision"/>.</summary>
    public async Task<List<WatchObservation>> CloseAsync(long requiredThroughRevision)
    {
        await Stream.DisposeAsync();
        if (reader is not null)
        {
            await reader.WaitAsync(TimeSpan.FromSeconds(10));
        }

        return Split(requiredThroughRevision);
    }

    /// <summary>The messages read so far (a copy).</summary>
    public List<WatchMessage> Snapshot()
    {
        lock (gate)
        {
            return [.. messages];
        }
    }

    private async Task ReadAsync()
    {
        await foreach (WatchMessage message in Stream.ReadAllAsync(CancellationToken.None))
        {
            lock (gate)
            {
                messages.Add(message);
            }

            if (message.WatchId == WatchMessage.ProgressWatchId)
            {
                long seen = Interlocked.Read(ref progressRevision);
                Interlocked.Exchange(ref progressRevision, Math.Max(seen, message.Revision)); // the reader is the only writer
                progressArrived.Release();
            }

            if (slowness is not null && slowness.Next(8) == 0)
            {
                await Task.Delay(1); // a slow consumer on purpose, so the stream's bound is reached
            }
        }
    }

    private List<WatchObservation> Split(long requiredThroughRevision)
    {
        List<WatchMessage> all = Snapshot();
        Queue<(string Name, WatchSpec Spec)> pending;
        lock (gate)
        {
            pending = new(creates);
        }

        List<WatchObservation> observations = [];
        Dictionary<long, WatchObservation> active = [];
        foreach (WatchMessage message in all)
        {
            if (message.WatchId == WatchMessage.ProgressWatchId)
            {
                foreach (WatchObservation watch in active.Values)
                {
                    watch.Messages.Add(message);
                }
            }
            else if (message.Created)
            {
                if (!pending.TryDequeue(out (string Name, WatchSpec Spec) create))
                {
                    Strays.Add($"{Name}: Created with no create: {WatchHistoryChecker.Describe(message)}");
                    continue;
                }

                WatchObservation watch = new($"{Name}/{create.Name}", create.Spec);
                watch.Messages.Add(message);
                observations.Add(watch);
                if (!message.Canceled && !active.TryAdd(message.WatchId, watch))
                {
                    Strays.Add($"{Name}: Created for watch {message.WatchId}, which is still active");
                }
            }
            else if (active.TryGetValue(message.WatchId, out WatchObservation? watch))
            {
                watch.Messages.Add(message);
                if (message.Canceled)
                {
                    active.Remove(message.WatchId);
                }
            }
            else
            {
                Strays.Add($"{Name}: message for no active watch: {WatchHistoryChecker.Describe(message)}");
            }
        }

        foreach (WatchObservation watch in active.Values)
        {
            watch.RequiredThroughRevision = requiredThroughRevision;
        }

        return observations;
    }
}
