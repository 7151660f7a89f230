using System.Diagnostics;
using Backbone.Store.Backend;
using Backbone.Store.Commands;
using Backbone.Store.Mvcc;

namespace Backbone.Store;

/// <summary>
/// The apply side every command log shares: applies committed batches in log order, feeds
/// watchers and leases after each batch, and between batches runs the housekeeping that writes
/// FASTER (physical compaction chunks, checkpoints). The log decides what is committed (a local
/// WAL or the Raft log); this class decides nothing about order.
///
/// Positions are the log's own numbering, strictly increasing per command. Apply and maintenance
/// share FASTER's single writer session, so they run one at a time under <see cref="gate"/>; the
/// local log calls both from whichever thread holds its turn (its apply thread, or a lone writer's
/// caller), Raft from its apply callback and the tick.
/// </summary>
public sealed class StoreApplier
{
    private readonly MvccStore store;
    private readonly FasterBackend backend;
    private readonly StoreOptions options;
    private readonly TimeProvider time;
    private readonly Action afterBatch;
    private readonly Lock gate = new();

    /// <summary>Callers of <see cref="WhenPhysicalCompactionDoneAsync"/>. Guarded by itself.</summary>
    private readonly List<TaskCompletionSource> physicalWaiters = [];
    private int physicalWaiterCount; // lets maintenance skip the lock when nobody waits
    private long entriesSinceCheckpoint;
    private long lastCheckpointTicks;
    private Task? checkpointInFlight;

    // Written by the checkpoint task, read under the gate: decisions come from these values, not
    // from the task's IsCompleted (its completion callback runs before the task counts as done).
    private long checkpointedPosition;
    private int checkpointRunning;

    internal StoreApplier(MvccStore store, FasterBackend backend, StoreOptions options, TimeProvider time, Action afterBatch)
    {
        this.store = store;
        this.backend = backend;
        this.options = options;
        this.time = time;
        this.afterBatch = afterBatch;
        lastCheckpointTicks = time.GetTimestamp();
        checkpointedPosition = store.AppliedIndex; // what recovery found is what the last checkpoint holds
    }

    /// <summary>The position of the last applied command (0 on a fresh store).</summary>
    public long AppliedPosition => store.AppliedIndex;

    /// <summary>Every command up to this position is in a completed FASTER checkpoint: log entries up to it may go.</summary>
    public long CheckpointedPosition => Volatile.Read(ref checkpointedPosition);

    /// <summary>Called (off the apply path) when a checkpoint completes, with its position.</summary>
    public Action<long>? CheckpointCompleted { get; set; }

    /// <summary>Called under the apply gate right after a snapshot replaced the state (watchers, lease timers).</summary>
    public Action? SnapshotInstalled { get; set; }

    /// <summary>Called when maintenance has more to do soon (another compaction chunk): the log should call <see cref="Maintain"/> again.</summary>
    public Action? MoreMaintenance { get; set; }

    /// <summary>
    /// Applies one committed batch. Each result is the command's result or the
    /// <see cref="StoreException"/> of a deterministic refusal. Any other exception means the state
    /// is unknown: the caller must stop applying.
    /// </summary>
    public object[] ApplyBatch(IReadOnlyList<(long Position, StoreCommand Command)> batch)
    {
        object[] results = new object[batch.Count];
        lock (gate)
        {
            ThrowIfHalted();
            for (int i = 0; i < batch.Count; i++)
            {
                try
                {
                    results[i] = store.Apply(batch[i].Position, batch[i].Command);
                }
                catch (StoreException e)
                {
                    results[i] = e;
                }
            }

            store.PersistMeta();
            entriesSinceCheckpoint += batch.Count;
            afterBatch();
        }

        return results;
    }

    /// <summary>
    /// Replays commands that are already committed and were applied before a crash (no watchers
    /// or callers to answer yet). Positions at or below <see cref="AppliedPosition"/> are skipped.
    /// </summary>
    public void Replay(IEnumerable<(long Position, StoreCommand Command)> commands)
    {
        lock (gate)
        {
            foreach ((long position, StoreCommand command) in commands)
            {
                if (position <= store.AppliedIndex)
                {
                    continue;
                }

                try
                {
                    store.Apply(position, command);
                }
                catch (StoreException)
                {
                    // The same refusal as when it was first applied: deterministic, nothing changed.
                }
            }

            store.PersistMeta();
        }
    }

    /// <summary>
    /// Writes the whole current state as a snapshot (<see cref="Snapshots.SnapshotFormat"/>), between
    /// batches; returns the applied position it holds. Apply waits meanwhile.
    /// </summary>
    public long WriteSnapshot(Stream output)
    {
        lock (gate)
        {
            ThrowIfHalted();
            store.WriteSnapshot(output);
            return store.AppliedIndex;
        }
    }

    /// <summary>
    /// Replaces the state with a snapshot that was verified whole (a member too far behind), and
    /// returns once a checkpoint holds it: after this, a restart recovers the new state.
    /// </summary>
    public async Task InstallSnapshotAsync(Stream verified)
    {
        lock (gate)
        {
            ThrowIfHalted();
            store.ReplaceWith(verified);
            entriesSinceCheckpoint = 0;
            SnapshotInstalled?.Invoke();
        }

        await CheckpointNowAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Takes a checkpoint of everything applied so far and completes once it is durable. A
    /// checkpoint already running (it may predate the caller's changes) is let finish first.
    /// Used after a snapshot install and by Defragment. Throws Stopped once the store is halted:
    /// a halted store must not checkpoint its unknown state.
    /// </summary>
    public async Task CheckpointNowAsync()
    {
        while (true)
        {
            Task? running;
            lock (gate)
            {
                ThrowIfHalted();
                if (Volatile.Read(ref checkpointRunning) == 0 && backend.TryStartCheckpoint())
                {
                    entriesSinceCheckpoint = 0;
                    lastCheckpointTicks = time.GetTimestamp();
                    Volatile.Write(ref checkpointRunning, 1);
                    checkpointInFlight = CompleteCheckpointAsync(store.AppliedIndex);
                    running = null;
                }
                else
                {
                    running = checkpointInFlight ?? Task.CompletedTask; // an older one: let it finish, then take ours
                }
            }

            if (running is null)
            {
                break;
            }

            await running.ConfigureAwait(false);
            await Task.Delay(1).ConfigureAwait(false); // FASTER may still be closing the old checkpoint
        }

        Task ours;
        lock (gate)
        {
            ours = checkpointInFlight!;
        }

        await ours.ConfigureAwait(false);
    }

    /// <summary>Completes once every revision record dropped by the compactions applied so far has left FASTER.</summary>
    public Task WhenPhysicalCompactionDoneAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (physicalWaiters)
        {
            physicalWaiters.Add(done);
            Interlocked.Increment(ref physicalWaiterCount);
        }

        MoreMaintenance?.Invoke(); // the next maintenance turn answers, even with no client writes
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Housekeeping between batches: a physical compaction chunk, the checkpoint policy. Skipped
    /// when the gate is busy (a batch, a snapshot dump, another maintenance): the apply path calls
    /// this again after its batch, and the timer soon. Waiting instead parked a thread-pool thread
    /// per timer tick behind a FASTER checkpoint step that blocks the applying thread on a device
    /// write whose completion itself needs a pool thread: on 2 cores the pool starved and the
    /// member stopped answering, Raft included (an outage while another member was down).
    /// </summary>
    public void Maintain()
    {
        if (halted || closed || !gate.TryEnter())
        {
            return;
        }

        if (closed)
        {
            gate.Exit(); // closed while this turn waited for the gate
            return;
        }

        try
        {
            if (store.RunPhysicalCompactionStep(options.PhysicalCompactionChunk) > 0 && store.PendingPhysicalDeletes > 0)
            {
                MoreMaintenance?.Invoke(); // more to delete: come back soon, between client batches
            }

            if (Volatile.Read(ref physicalWaiterCount) > 0 && store.PendingPhysicalDeletes == 0)
            {
                CompletePhysicalWaiters(null);
            }

            bool due = entriesSinceCheckpoint >= options.CheckpointEveryEntries
                || (entriesSinceCheckpoint > 0 && time.GetElapsedTime(lastCheckpointTicks) >= options.CheckpointInterval);
            if (Volatile.Read(ref checkpointRunning) == 0 && due && backend.TryStartCheckpoint())
            {
                entriesSinceCheckpoint = 0;
                lastCheckpointTicks = time.GetTimestamp();
                Volatile.Write(ref checkpointRunning, 1);
                checkpointInFlight = CompleteCheckpointAsync(store.AppliedIndex);
            }
        }
        finally
        {
            gate.Exit();
        }
    }

    private volatile bool halted;

    /// <summary>
    /// Set by <see cref="CloseAsync"/> under the gate: work started by a node's background tasks
    /// (settling held entries, dumping a snapshot for a follower) that is still running then
    /// finishes first, and any that comes later is refused instead of touching a store being
    /// disposed. An in-place restart disposes the store while those tasks may still run.
    /// </summary>
    private volatile bool closed;

    /// <summary>Whether <see cref="CloseAsync"/> began: refusals with <see cref="StoreError.Stopped"/> are then expected, not faults.</summary>
    public bool IsClosed => closed;

    /// <summary>
    /// The store's state is unknown (a snapshot replacement failed half way): from now on nothing
    /// is applied to it and no checkpoint is taken, so that the member's next start recovers from
    /// the last checkpoint made before, not from a half-replaced store.
    /// </summary>
    public void Halt()
    {
        halted = true;
        lock (gate)
        {
            // Taken once so that a batch or a maintenance turn in progress has finished.
        }
    }

    private void ThrowIfHalted()
    {
        if (halted)
        {
            throw new StoreException(StoreError.Stopped, "the store was halted after a failed snapshot install: the member restarts");
        }

        if (closed)
        {
            throw new StoreException(StoreError.Stopped, "the store is closing");
        }
    }

    /// <summary>Stops: fails the compaction waiters, waits for a running checkpoint, then takes a final one unless <paramref name="faulted"/>.</summary>
    public async Task CloseAsync(bool faulted)
    {
        lock (gate)
        {
            closed = true; // after the batch, dump or maintenance turn in progress, if any
        }

        CompletePhysicalWaiters(new StoreException(StoreError.Stopped, "the store stopped before compaction finished"));
        Task? running;
        lock (gate)
        {
            running = checkpointInFlight;
        }

        if (running is not null)
        {
            await running.ConfigureAwait(false);
        }

        if (!faulted && !halted && store.AppliedIndex > CheckpointedPosition)
        {
            long position = store.AppliedIndex;
            await backend.CheckpointAsync().ConfigureAwait(false);
            Volatile.Write(ref checkpointedPosition, position);
            CheckpointCompleted?.Invoke(position);
        }
    }

    private async Task CompleteCheckpointAsync(long position)
    {
        // Callers hold the gate: return to them first. FASTER drives its checkpoint in a loop that
        // spins until it has an I/O to wait for, which must not happen under the gate.
        await Task.Yield();
        try
        {
            await backend.CompleteCheckpointAsync(CancellationToken.None).ConfigureAwait(false);
            Debug.Assert(position >= Volatile.Read(ref checkpointedPosition), "checkpoints complete in order");
            Volatile.Write(ref checkpointedPosition, position);
        }
        finally
        {
            Volatile.Write(ref checkpointRunning, 0);
        }

        CheckpointCompleted?.Invoke(position);
    }

    private void CompletePhysicalWaiters(Exception? error)
    {
        lock (physicalWaiters)
        {
            foreach (TaskCompletionSource waiter in physicalWaiters)
            {
                if (error is null)
                {
                    waiter.TrySetResult();
                }
                else
                {
                    waiter.TrySetException(error);
                }
            }

            physicalWaiters.Clear();
            Volatile.Write(ref physicalWaiterCount, 0);
        }
    }
}
