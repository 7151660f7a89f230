using System.Collections.Concurrent;
using System.Diagnostics;
using Backbone.Core;
using Backbone.Store.Commands;
using Backbone.Store.Log;

namespace Backbone.Store;

/// <summary>
/// The single-node command log: proposals queue up, the apply loop appends a batch to the WAL
/// with one fdatasync (group commit), applies it in log order and only then completes the
/// callers. Between batches the same loop deletes compacted records from FASTER and starts
/// checkpoints, so every FASTER write stays on the one apply session.
///
/// Pipeline, in order: <see cref="ProposeAsync"/> → queue → <see cref="RunApplyLoop"/>:
/// WAL append + sync → <see cref="StoreApplier.ApplyBatch"/> (apply, watch, leases) → complete →
/// <see cref="StoreApplier.Maintain"/> → WAL truncation behind the last checkpoint.
///
/// The loop owns a dedicated thread: fdatasync and FASTER's pending I/O block, and a blocked
/// thread-pool thread on a 2-core machine starves every request behind it.
///
/// One exception: a proposal that arrives while the queue is empty and no turn is running runs
/// its own turn (a batch of one) on the caller's thread; see <see cref="TryRunAlone"/>.
/// </summary>
public sealed class LocalCommandLog : ICommandLog
{
    private const long MaxBatchBytes = 16L << 20;

    /// <summary>Proposals waiting for the apply thread at most; more wait in ProposeAsync (back-pressure).</summary>
    private const int MaxQueued = 65_536;

    private readonly WriteAheadLog wal;
    private readonly StoreApplier applier;
    private readonly StoreOptions options;
    private readonly ConcurrentQueue<Pending> queue = new();
    /// <summary>
    /// Wakes the apply thread. Not a SemaphoreSlim: its spin-then-block wait burned ~6% of the
    /// server's CPU at a steady 2,000 puts/s (perf); this event never spins.
    /// </summary>
    private readonly ManualResetEventSlim wake = new(false, spinCount: 0);
    private readonly SemaphoreSlim room = new(MaxQueued, MaxQueued);
    private readonly TaskCompletionSource loopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock closingGate = new();
    /// <summary>Held for every turn, the apply thread's or a lone caller's: one batch at a time, in log order.</summary>
    private readonly Lock turn = new();
    private readonly List<Pending> batch = []; // guarded by turn
    private readonly List<LogEntry> entries = []; // guarded by turn
    private bool closing; // guarded by closingGate, so no proposal is queued after the loop's last look
    private int tickRequested;
    private long walTruncatedBefore;
    private Exception? fault;

    internal LocalCommandLog(WriteAheadLog wal, StoreApplier applier, StoreOptions options)
    {
        this.wal = wal;
        this.applier = applier;
        this.options = options;
        applier.MoreMaintenance = Tick;
        applier.CheckpointCompleted = _ => Tick(); // let the loop truncate the WAL even when no client writes arrive
        new Thread(RunApplyLoop) { Name = "backbone-apply", IsBackground = true }.Start();
    }

    /// <summary>The single node always leads: leases expire here.</summary>
    public bool IsLeader => true;

    /// <summary>Every acknowledged write is applied before it is acknowledged: nothing to wait for.</summary>
    public Task ReadBarrierAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<object> ProposeAsync(StoreCommand command, CancellationToken cancellationToken)
    {
        byte[] bytes = command.Serialize();
        if (bytes.Length > StoreLimits.MaxRequestBytes)
        {
            throw new StoreException(StoreError.RequestTooLarge);
        }

        Pending pending = new(command, bytes, cancellationToken);
        ThrowIfStopped();
        if (TryRunAlone(pending))
        {
            return await pending.Completion.Task.ConfigureAwait(false); // already complete: no thread switch
        }

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

    public Task WhenPhysicalCompactionDoneAsync(CancellationToken cancellationToken) =>
        applier.WhenPhysicalCompactionDoneAsync(cancellationToken);

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
        await loopDone.Task.ConfigureAwait(false);
        await applier.CloseAsync(faulted: fault is not null).ConfigureAwait(false);
        if (fault is null)
        {
            wal.TruncateBefore(applier.CheckpointedPosition + 1);
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
            while (true)
            {
                // Reset before looking, so a Set that lands after the look still wakes the Wait.
                wake.Reset();
                if (queue.IsEmpty && Volatile.Read(ref tickRequested) == 0 && !Volatile.Read(ref closing))
                {
                    wake.Wait();
                    continue;
                }

                if (!turn.TryEnter())
                {
                    // A lone caller's turn (TryRunAlone), which sets the event when it ends with work
                    // left. Waiting here instead of on the lock: Lock spins first, and a turn lasts an
                    // fdatasync.
                    wake.Wait();
                    continue;
                }

                try
                {
                    Volatile.Write(ref tickRequested, 0); // consumed only under the turn: this turn's maintenance serves it
                    TakeBatch();
                    RunTurn();
                    lock (closingGate)
                    {
                        if (closing && queue.IsEmpty)
                        {
                            return; // the last turn: TryRunAlone refuses once closing is set
                        }
                    }
                }
                finally
                {
                    turn.Exit();
                }
            }
        }
        finally
        {
            loopDone.TrySetResult();
        }
    }

    /// <summary>
    /// Runs <paramref name="pending"/> as a batch of one on the calling thread when nothing else
    /// is queued or running, and returns true once it is durable, applied and completed (or
    /// refused). At a low rate this takes two thread switches off each write's path, the apply
    /// thread's wake-up and the hand-back to a pool thread, and with them their CPU. The caller's
    /// thread blocks in fdatasync for the turn; under load the queue is never empty, so the
    /// apply thread keeps the turns and no pool thread blocks.
    /// </summary>
    private bool TryRunAlone(Pending pending)
    {
        // Lock is reentrant: a proposal from inside a turn (an after-batch callback) would get
        // in here and overwrite the turn's batch. None exists; keep it that way.
        Debug.Assert(!turn.IsHeldByCurrentThread, "a proposal from inside the log's own turn");
        if (!queue.IsEmpty || !turn.TryEnter())
        {
            return false;
        }

        try
        {
            lock (closingGate)
            {
                // A queued proposal came first; a closing log takes nothing new (the caller's
                // queue path refuses it), so no turn runs after the loop's last one.
                if (!queue.IsEmpty || closing)
                {
                    return false;
                }
            }

            batch.Clear();
            entries.Clear();
            if (pending.Cancellation.IsCancellationRequested)
            {
                pending.Completion.TrySetCanceled();
                return true;
            }

            entries.Add(new LogEntry(wal.LastIndex + 1, pending.Bytes));
            batch.Add(pending);
            RunTurn();
            return true;
        }
        finally
        {
            turn.Exit();
            if (!queue.IsEmpty || Volatile.Read(ref tickRequested) == 1 || Volatile.Read(ref closing))
            {
                wake.Set(); // work that came during this turn: the apply thread takes it
            }
        }
    }

    /// <summary>Moves queued proposals into <see cref="batch"/>, up to the batch limits.</summary>
    private void TakeBatch()
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
    }

    /// <summary>One turn, holding <see cref="turn"/>: <see cref="batch"/> and the maintenance after it.</summary>
    private void RunTurn()
    {
        if (fault is null && batch.Count > 0)
        {
            ApplyBatch();
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
            try
            {
                applier.Maintain();
                long checkpointed = applier.CheckpointedPosition;
                if (checkpointed + 1 > walTruncatedBefore)
                {
                    wal.TruncateBefore(checkpointed + 1);
                    walTruncatedBefore = checkpointed + 1;
                }
            }
            catch (Exception e)
            {
                // The batch is durable and answered; the maintenance after it failed (a WAL
                // segment delete, say). Stop taking writes, as for a failed batch, whichever
                // thread holds the turn: on a lone caller's thread it must not come back as that
                // caller's write error, and on the apply thread it used to end the process.
                fault = e;
            }
        }
    }

    private void ApplyBatch()
    {
        object[] results;
        try
        {
            wal.Append(entries);
            var commands = new (long, StoreCommand)[batch.Count];
            for (int i = 0; i < batch.Count; i++)
            {
                commands[i] = (entries[i].Index, batch[i].Command);
            }

            results = applier.ApplyBatch(commands);
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
                batch[i].Completion.TrySetResult(results[i]);
            }
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
