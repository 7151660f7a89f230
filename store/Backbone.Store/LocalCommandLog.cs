using System.Collections.Concurrent;
using System.Diagnostics;
using Backbone.Core;
using Backbone.Store.Backend;
using Backbone.Store.Commands;
using Backbone.Store.Log;
using Backbone.Store.Mvcc;

namespace Backbone.Store;

/// <summary>
/// The single-node command log: proposals queue up, the apply loop appends a batch to the WAL
/// with one fdatasync (group commit), applies it in log order and only then completes the
/// callers. Between batches the same loop deletes compacted records from FASTER and starts
/// checkpoints, so every FASTER write stays on the one apply session.
///
/// Pipeline, in order: <see cref="ProposeAsync"/> → queue → <see cref="RunApplyLoop"/>:
/// WAL append + sync → <see cref="MvccStore.Apply"/> → afterBatch (watch, leases) → complete → maintenance.
///
/// The loop owns a dedicated thread: fdatasync and FASTER's pending I/O block, and a blocked
/// thread-pool thread on a 2-core machine starves every request behind it.
/// </summary>
public sealed class LocalCommandLog : ICommandLog, IAsyncDisposable
{
    private const long MaxBatchBytes = 16L << 20;

    /// <summary>Proposals waiting for the apply thread at most; more wait in ProposeAsync (back-pressure).</summary>
    private const int MaxQueued = 65_536;

    private readonly WriteAheadLog wal;
    private readonly MvccStore store;
    private readonly FasterBackend backend;
    private readonly StoreOptions options;
    private readonly TimeProvider time;
    private readonly Action afterBatch;
    private readonly ConcurrentQueue<Pending> queue = new();
    /// <summary>
    /// Wakes the apply thread. Not a SemaphoreSlim: its spin-then-block wait burned ~6% of the
    /// server's CPU at a steady 2,000 puts/s (perf); this event never spins.
    /// </summary>
    private readonly ManualResetEventSlim wake = new(false, spinCount: 0);
    private readonly SemaphoreSlim room = new(MaxQueued, MaxQueued);
    private readonly TaskCompletionSource loopExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock closingGate = new();
    private bool closing; // guarded by closingGate, so no proposal is queued after the loop's last look
    private int tickRequested;

    /// <summary>Callers of <see cref="WhenPhysicalCompactionDoneAsync"/>; completed by the apply thread. Guarded by itself.</summary>
    private readonly List<TaskCompletionSource> physicalWaiters = [];
    private int physicalWaiterCount; // lets the apply loop skip the lock on every turn when nobody waits
    private long entriesSinceCheckpoint;
    private long lastCheckpointTicks;
    private Task? checkpointInFlight; // the last checkpoint's completion task (awaited at dispose)

    // Written by the checkpoint task, read by the apply thread: the loop decides from these
    // values, not from the task's IsCompleted, because the task's own wake-up Tick runs before
    // the task counts as completed (a turn woken by it would see "still running" and sleep).
    private long checkpointedIndex;
    private int checkpointRunning;
    private long walTruncatedBefore;
    private Exception? fault;

    internal LocalCommandLog(WriteAheadLog wal, MvccStore store, FasterBackend backend, StoreOptions options, TimeProvider time, Action afterBatch)
    {
        this.wal = wal;
        this.store = store;
        this.backend = backend;
        this.options = options;
        this.time = time;
        this.afterBatch = afterBatch;
        lastCheckpointTicks = time.GetTimestamp();
        entriesSinceCheckpoint = wal.LastIndex - store.AppliedIndex;
        new Thread(RunApplyLoop) { Name = "backbone-apply", IsBackground = true }.Start();
    }

    public async Task<object> ProposeAsync(StoreCommand command, CancellationToken cancellationToken)
    {
        byte[] bytes = command.Serialize();
        if (bytes.Length > StoreLimits.MaxRequestBytes)
        {
            throw new StoreException(StoreError.RequestTooLarge);
        }

        Pending pending = new(command, bytes, cancellationToken);
        ThrowIfStopped();
        await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (closingGate)
        {
            if (closing)
            {
                room.Release();
                throw new StoreException(StoreError.Stopped, "the store is stopping");
            }

            queue.Enqueue(pending);
        }

        wake.Set();
        return await pending.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Completes once every revision record dropped by the compactions applied so far has left
    /// FASTER (the apply thread deletes them in chunks between batches).
    /// </summary>
    public Task WhenPhysicalCompactionDoneAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (physicalWaiters)
        {
            physicalWaiters.Add(done);
            Interlocked.Increment(ref physicalWaiterCount);
        }

        Tick(); // the next maintenance turn answers, even with no client writes
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Asks the loop for a maintenance turn (checkpoint policy, physical compaction) with no command.</summary>
    public void Tick()
    {
        if (Interlocked.Exchange(ref tickRequested, 1) == 0)
        {
            wake.Set();
        }
    }

    /// <summary>Stops taking proposals, drains the queue, then takes a final checkpoint.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (closingGate)
        {
            closing = true;
        }

        wake.Set();
        await loopExited.Task.ConfigureAwait(false);
        if (checkpointInFlight is not null)
        {
            await checkpointInFlight.ConfigureAwait(false);
        }

        if (fault is null && store.AppliedIndex > Volatile.Read(ref checkpointedIndex))
        {
            long index = store.AppliedIndex;
            await backend.CheckpointAsync().ConfigureAwait(false);
            wal.TruncateBefore(index + 1);
        }

        wal.Dispose();
    }

    private void ThrowIfStopped()
    {
        if (fault is not null)
        {
            throw new StoreException(StoreError.Stopped, $"the store stopped after a fatal error: {fault.Message}");
        }
    }

    /// <summary>The apply thread: runs until closing and every queued proposal is answered.</summary>
    private void RunApplyLoop()
    {
        try
        {
            List<Pending> batch = [];
            List<LogEntry> entries = [];
            while (true)
            {
                // Reset before looking, so a Set that lands after the look still wakes the Wait.
                wake.Reset();
                bool ticked = Interlocked.Exchange(ref tickRequested, 0) == 1;
                if (queue.IsEmpty && !ticked && !Volatile.Read(ref closing))
                {
                    wake.Wait();
                    continue;
                }

                RunOneTurn(batch, entries);
                lock (closingGate)
                {
                    if (closing && queue.IsEmpty)
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            CompletePhysicalWaiters(new StoreException(StoreError.Stopped, "the store stopped before compaction finished"));
            loopExited.TrySetResult();
        }
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

    /// <summary>One batch and the maintenance after it.</summary>
    private void RunOneTurn(List<Pending> batch, List<LogEntry> entries)
    {
        batch.Clear();
        entries.Clear();
        long bytes = 0;
        long next = wal.LastIndex + 1;
        while (batch.Count < options.MaxBatchCommands && bytes < MaxBatchBytes && queue.TryDequeue(out Pending? pending))
        {
            room.Release();
            if (pending.Cancellation.IsCancellationRequested)
            {
                pending.Completion.TrySetCanceled();
                continue;
            }

            entries.Add(new LogEntry(next++, pending.Bytes));
            batch.Add(pending);
            bytes += pending.Bytes.Length;
        }

        if (fault is null && batch.Count > 0)
        {
            ApplyBatch(batch, entries);
        }
        else
        {
            foreach (Pending pending in batch)
            {
                pending.Completion.TrySetException(new StoreException(StoreError.Stopped, "the store is stopped"));
            }
        }

        if (fault is null)
        {
            Maintain();
        }
    }

    private void ApplyBatch(List<Pending> batch, List<LogEntry> entries)
    {
        object?[] results = new object?[batch.Count];
        try
        {
            wal.Append(entries);
            for (int i = 0; i < batch.Count; i++)
            {
                try
                {
                    results[i] = store.Apply(entries[i].Index, batch[i].Command);
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
        catch (Exception e)
        {
            // Durability or state is now unknown: stop taking writes rather than guess.
            fault = e;
            foreach (Pending pending in batch)
            {
                pending.Completion.TrySetException(new StoreException(StoreError.Stopped, $"the store stopped: {e.Message}"));
            }

            return;
        }

        for (int i = 0; i < batch.Count; i++)
        {
            if (results[i] is StoreException refused)
            {
                batch[i].Completion.TrySetException(refused);
            }
            else
            {
                batch[i].Completion.TrySetResult(results[i]!);
            }
        }
    }

    /// <summary>Apply-thread housekeeping between batches.</summary>
    private void Maintain()
    {
        if (store.RunPhysicalCompactionStep(options.PhysicalCompactionChunk) > 0 && store.PendingPhysicalDeletes > 0)
        {
            Tick(); // more to delete: come back soon, between client batches
        }

        if (Volatile.Read(ref physicalWaiterCount) > 0 && store.PendingPhysicalDeletes == 0)
        {
            CompletePhysicalWaiters(null);
        }

        long checkpointed = Volatile.Read(ref checkpointedIndex);
        if (checkpointed + 1 > walTruncatedBefore)
        {
            wal.TruncateBefore(checkpointed + 1);
            walTruncatedBefore = checkpointed + 1;
        }

        bool due = entriesSinceCheckpoint >= options.CheckpointEveryEntries
            || (entriesSinceCheckpoint > 0 && time.GetElapsedTime(lastCheckpointTicks) >= options.CheckpointInterval);
        if (Volatile.Read(ref checkpointRunning) == 0 && due)
        {
            long index = store.AppliedIndex;
            if (backend.TryStartCheckpoint())
            {
                entriesSinceCheckpoint = 0;
                lastCheckpointTicks = time.GetTimestamp();
                Volatile.Write(ref checkpointRunning, 1);
                checkpointInFlight = CompleteCheckpointAsync(index);
            }
        }
    }

    private async Task CompleteCheckpointAsync(long index)
    {
        try
        {
            await backend.CompleteCheckpointAsync(CancellationToken.None).ConfigureAwait(false);
            Debug.Assert(index >= Volatile.Read(ref checkpointedIndex), "checkpoints complete in order");
            Volatile.Write(ref checkpointedIndex, index);
        }
        finally
        {
            Volatile.Write(ref checkpointRunning, 0);
            Tick(); // let the loop truncate the WAL even when no client writes arrive
        }
    }

    private sealed class Pending(StoreCommand command, byte[] bytes, CancellationToken cancellation)
    {
        public StoreCommand Command { get; } = command;

        public byte[] Bytes { get; } = bytes;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<object> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
