using Backbone.Store.Model;
using Backbone.Store.Mvcc;

namespace Backbone.Store.Watch;

/// <summary>
/// Routes applied changes to watchers. The apply loop calls <see cref="Publish"/> after each
/// batch; synced watchers get events straight away, unsynced ones catch up from history on their
/// own task (<see cref="CatchUpAsync"/>) and then join the synced set with no gap and no repeat.
///
/// Lock order: <see cref="gate"/> first, then the MVCC state lock (for prev_kv); never the reverse.
/// </summary>
public sealed class WatchHub
{
    private const int HistoryChunkEvents = 1000;

    private readonly Lock gate = new();
    private readonly MvccStore store;
    private readonly int watcherBufferEvents;
    private readonly SyncedWatchers synced = new();
    private readonly CancellationTokenSource stopping = new();
    private long publishedRevision;

    internal WatchHub(MvccStore store, int watcherBufferEvents)
    {
        this.store = store;
        this.watcherBufferEvents = watcherBufferEvents;
        publishedRevision = store.Revision;
    }

    /// <summary>Revision up to which every synced watcher has been given its events.</summary>
    public long PublishedRevision
    {
        get
        {
            lock (gate)
            {
                return publishedRevision;
            }
        }
    }

    public int WatcherCount
    {
        get
        {
            lock (gate)
            {
                return synced.Count;
            }
        }
    }

    public WatchStream OpenStream() => new(this, watcherBufferEvents);

    /// <summary>Delivers a batch of applied changes (apply thread, in revision order).</summary>
    internal void Publish(IReadOnlyList<ChangeEvent> changes, long revision)
    {
        lock (gate)
        {
            // Route each change to the watchers whose range holds it (by key, not by scanning all).
            Dictionary<Watcher, List<WatchEvent>>? routed = null;
            foreach (ChangeEvent change in changes)
            {
                synced.ForEachMatching(change.Kv.Key, watcher =>
                {
                    if (watcher.Shape(change, store) is { } shaped)
                    {
                        routed ??= [];
                        if (!routed.TryGetValue(watcher, out List<WatchEvent>? events))
                        {
                            routed[watcher] = events = [];
                        }

                        events.Add(shaped);
                    }
                });
            }

            foreach ((Watcher watcher, List<WatchEvent> events) in routed ?? [])
            {
                if (!watcher.Stream.TryEnqueueEvents(new WatchMessage(watcher.Id, revision, events)))
                {
                    // Too slow: it resumes from history at the first revision it missed.
                    watcher.NextRevision = events[0].Kv.ModRevision;
                    watcher.Synced = false;
                    synced.Remove(watcher);
                    StartCatchUp(watcher);
                }
            }

            publishedRevision = Math.Max(publishedRevision, revision);
        }
    }

    /// <summary>
    /// After a snapshot replaced the state: the changes between what watchers were given and the
    /// snapshot were never published, so every synced watcher goes back to catching up from
    /// history at the revision it needs next (or is canceled as compacted if the snapshot no
    /// longer holds it), as etcd's watchers do on restore.
    /// </summary>
    internal void Resync()
    {
        lock (gate)
        {
            foreach (Watcher watcher in synced.All.ToList())
            {
                synced.Remove(watcher);
                watcher.Synced = false;
                StartCatchUp(watcher);
            }

            publishedRevision = store.Revision;
        }
    }

    /// <summary>Sends a progress message to every synced watcher that asked for progress_notify.</summary>
    public void NotifyProgress()
    {
        lock (gate)
        {
            foreach (Watcher watcher in synced.All)
            {
                if (watcher.Spec.ProgressNotify)
                {
                    watcher.Stream.TryEnqueueEvents(new WatchMessage(watcher.Id, publishedRevision, []));
                }
            }
        }
    }

    public void Stop() => stopping.Cancel();

    internal void Create(WatchStream stream, WatchSpec spec)
    {
        lock (gate)
        {
            long id = spec.WatchId;
            if (id == 0)
            {
                while (stream.Watchers.ContainsKey(stream.NextAutoId))
                {
                    stream.NextAutoId++;
                }

                id = stream.NextAutoId++;
            }
            else if (stream.Watchers.ContainsKey(id))
            {
                stream.EnqueueControl(new WatchMessage(id, publishedRevision, [])
                {
                    Created = true,
                    Canceled = true,
                    CancelReason = "mvcc: duplicate watch ID provided on the WatchStream",
                });
                return;
            }

            Watcher watcher = new(id, spec, stream);
            stream.Watchers.Add(id, watcher);
            stream.EnqueueControl(new WatchMessage(id, publishedRevision, []) { Created = true });

            long start = spec.StartRevision;
            if (start == 0 || start > publishedRevision)
            {
                watcher.NextRevision = start == 0 ? publishedRevision + 1 : start;
                watcher.Synced = true;
                synced.Add(watcher);
                return;
            }

            watcher.NextRevision = start;
            StartCatchUp(watcher);
        }
    }

    internal bool Cancel(WatchStream stream, long watchId)
    {
        lock (gate)
        {
            if (!stream.Watchers.Remove(watchId, out Watcher? watcher))
            {
                return false;
            }

            Drop(watcher);
            stream.EnqueueControl(new WatchMessage(watchId, publishedRevision, []) { Canceled = true });
            SendProgressIfSynced(stream); // a progress request may have been waiting for this watch only
            return true;
        }
    }

    internal void RequestProgress(WatchStream stream)
    {
        lock (gate)
        {
            stream.ProgressRequested = true;
            SendProgressIfSynced(stream);
        }
    }

    internal void Close(WatchStream stream)
    {
        lock (gate)
        {
            foreach (Watcher watcher in stream.Watchers.Values)
            {
                Drop(watcher);
            }

            stream.Watchers.Clear();
        }
    }

    private void Drop(Watcher watcher)
    {
        watcher.Canceled = true;
        if (watcher.Synced)
        {
            synced.Remove(watcher);
            watcher.Synced = false;
        }
    }

    private void SendProgressIfSynced(WatchStream stream)
    {
        if (!stream.ProgressRequested)
        {
            return;
        }

        foreach (Watcher watcher in stream.Watchers.Values)
        {
            if (!watcher.Synced)
            {
                return; // sent when the last one catches up
            }
        }

        stream.ProgressRequested = false;
        stream.EnqueueControl(new WatchMessage(WatchMessage.ProgressWatchId, publishedRevision, []));
    }

    private void StartCatchUp(Watcher watcher) => _ = Task.Run(() => CatchUpAsync(watcher));

    /// <summary>Reads history for one unsynced watcher until it reaches the published revision.</summary>
    private async Task CatchUpAsync(Watcher watcher)
    {
        try
        {
            while (true)
            {
                long from;
                lock (gate)
                {
                    if (watcher.Canceled)
                    {
                        return;
                    }

                    from = watcher.NextRevision;
                }

                List<ChangeEvent> changes;
                long next;
                try
                {
                    changes = store.ReadHistory(from, HistoryChunkEvents, out next);
                }
                catch (StoreException e) when (e.Error == StoreError.Compacted)
                {
                    CancelCompacted(watcher);
                    return;
                }

                List<WatchEvent> events = watcher.Select(changes, store);
                if (events.Count > 0)
                {
                    await watcher.Stream.ReserveAsync(stopping.Token).ConfigureAwait(false);
                }

                lock (gate)
                {
                    if (watcher.Canceled)
                    {
                        if (events.Count > 0)
                        {
                            watcher.Stream.Unreserve();
                        }

                        return;
                    }

                    if (events.Count > 0)
                    {
                        // Queued under the gate, where Cancel queues its answer: nothing of a watch
                        // follows its Canceled (a reused id would otherwise get the old watch's events).
                        watcher.Stream.QueueReserved(new WatchMessage(watcher.Id, Math.Max(next - 1, publishedRevision), events));
                    }

                    watcher.NextRevision = Math.Max(watcher.NextRevision, next);
                    if (watcher.NextRevision > publishedRevision)
                    {
                        watcher.Synced = true;
                        synced.Add(watcher);
                        SendProgressIfSynced(watcher.Stream);
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The hub is stopping; the stream goes with it.
        }
    }

    private void CancelCompacted(Watcher watcher)
    {
        lock (gate)
        {
            if (watcher.Canceled)
            {
                return;
            }

            watcher.Stream.Watchers.Remove(watcher.Id);
            watcher.Canceled = true;

            // Revision 0, as etcd's (its compaction answer carries only CompactRevision, so the
            // response header says revision 0); clients see it in the header.
            watcher.Stream.EnqueueControl(new WatchMessage(watcher.Id, 0, [])
            {
                Canceled = true,
                CompactRevision = store.CompactRevision,
                CancelReason = "etcdserver: mvcc: required revision has been compacted",
            });
            SendProgressIfSynced(watcher.Stream); // a progress request may have been waiting for this watch only
        }
    }
}
