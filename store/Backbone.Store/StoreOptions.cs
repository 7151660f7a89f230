namespace Backbone.Store;

/// <summary>Everything the engine needs to open a data directory; passed in, never global.</summary>
public sealed record StoreOptions
{
    public required string DataDir { get; init; }

    /// <summary>FASTER hash index size in bytes (a power of two; 64 bytes per bucket of 8 entries).</summary>
    public long IndexSizeBytes { get; init; } = 1L << 24;

    /// <summary>FASTER page size; must exceed the largest record (1.5 MiB value plus its key).</summary>
    public long PageSizeBytes { get; init; } = 1L << 22;

    /// <summary>FASTER in-memory log budget; records beyond it are read back from disk.</summary>
    public long MemorySizeBytes { get; init; } = 1L << 30;

    /// <summary>Take a FASTER checkpoint after this many applied log entries (bounds replay).</summary>
    public long CheckpointEveryEntries { get; init; } = 50_000;

    /// <summary>... or after this long with at least one new entry.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Roll to a new WAL segment past this size.</summary>
    public long WalSegmentBytes { get; init; } = 64L << 20;

    /// <summary>Most commands appended and fsynced together (group commit).</summary>
    public int MaxBatchCommands { get; init; } = 4096;

    /// <summary>Revision records deleted from FASTER per apply-loop turn during physical compaction.</summary>
    public int PhysicalCompactionChunk { get; init; } = 10_000;

    /// <summary>Events a watcher may have queued before it is moved to catch-up from history.</summary>
    public int WatcherBufferEvents { get; init; } = 1024;

    /// <summary>How often watchers that asked for progress_notify get an empty response with the current revision (etcd: 10 minutes).</summary>
    public TimeSpan ProgressNotifyInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// When true (tests, and `node --unsafe-no-fsync` for benchmarks), fsync is skipped: a power
    /// failure may lose acknowledged writes, or leave a WAL the node refuses to start on.
    /// </summary>
    public bool UnsafeNoFsync { get; init; }
}
