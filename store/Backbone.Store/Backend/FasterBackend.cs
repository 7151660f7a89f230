using System.Buffers;
using System.Buffers.Binary;
using Backbone.Store.Index;
using Backbone.Store.Log;
using System.Collections.Concurrent;
using FASTER.core;

namespace Backbone.Store.Backend;

/// <summary>
/// The FASTER KV that holds every record (revision records, leases, meta) as opaque bytes.
///
/// Threads: <see cref="Upsert"/> and <see cref="Delete"/> from one writer at a time (one session,
/// so that a checkpoint is a prefix of the apply order; the session takes FASTER's epoch per
/// operation, so the writer may be a different thread from one turn to the next); <see cref="TryRead"/> from any
/// thread (sessions are pooled, one per concurrent reader, as FASTER requires).
/// </summary>
internal sealed class FasterBackend : IDisposable
{
    private const int ChecksumBytes = 4;
    private const long SegmentSizeBytes = 1L << 30;

    private readonly IDevice device;
    private readonly FasterKV<SpanByte, SpanByte> store;
    private readonly SpanByteFunctions<Empty> functions = new(MemoryPool<byte>.Shared);
    private readonly ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>> writer;
    private readonly ConcurrentBag<ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>>> readers = [];
    private readonly string logPath;

    public FasterBackend(StoreOptions options)
    {
        string dir = Path.Combine(options.DataDir, "faster");
        Directory.CreateDirectory(dir);
        logPath = Path.Combine(dir, "hlog.log");
        device = Devices.CreateLogDevice(logPath, preallocateFile: false, deleteOnClose: false);
        FasterKVSettings<SpanByte, SpanByte> settings = new()
        {
            LogDevice = device,
            IndexSize = options.IndexSizeBytes,
            PageSize = options.PageSizeBytes,
            MemorySize = options.MemorySizeBytes,
            SegmentSize = SegmentSizeBytes,
            CheckpointDir = CheckpointDir = Path.Combine(dir, "checkpoints"),
            RemoveOutdatedCheckpoints = true,
            TryRecoverLatest = true,
        };
        try
        {
            store = new FasterKV<SpanByte, SpanByte>(settings);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            device.Dispose();
            throw new StoreCorruptException(dir, $"FASTER could not recover its checkpoint: {e.Message}", e);
        }

        writer = NewSession();
    }

    /// <summary>Where FASTER keeps its index and log checkpoints (named in corruption errors).</summary>
    public string CheckpointDir { get; }

    /// <summary>Bytes of the FASTER log from its begin to its tail (what etcd calls db size).</summary>
    public long LogSizeBytes => store.Log.TailAddress - store.Log.BeginAddress;

    /// <summary>Writes a record; the stored value is [crc32c(key, value)][value], checked on every read and at start-up.</summary>
    public unsafe void Upsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int length = ChecksumBytes + value.Length;
        byte[] framed = ArrayPool<byte>.Shared.Rent(length); // pooled: one per write on the apply path
        try
        {
            BinaryPrimitives.WriteUInt32LittleEndian(framed, Checksum(key, value));
            value.CopyTo(framed.AsSpan(ChecksumBytes));
            fixed (byte* k = key, v = framed)
            {
                SpanByte keyBytes = SpanByte.FromPointer(k, key.Length);
                SpanByte valueBytes = SpanByte.FromPointer(v, length);
                Status status = writer.Upsert(ref keyBytes, ref valueBytes, Empty.Default, 0);
                if (status.IsPending)
                {
                    writer.CompletePending(wait: true);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(framed);
        }
    }

    public unsafe void Delete(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            SpanByte keyBytes = SpanByte.FromPointer(k, key.Length);
            Status status = writer.Delete(ref keyBytes, Empty.Default, 0);
            if (status.IsPending)
            {
                writer.CompletePending(wait: true);
            }
        }
    }

    /// <summary>Reads a record's value (checksum verified), or null when absent. Any thread.</summary>
    public ReadOnlyMemory<byte>? TryRead(ReadOnlySpan<byte> key)
    {
        if (!readers.TryTake(out var session))
        {
            session = NewSession();
        }

        try
        {
            byte[]? framed = Read(session, key);
            if (framed is null)
            {
                return null;
            }

            _ = Unframe(key, framed, address: null);
            return framed.AsMemory(ChecksumBytes);
        }
        finally
        {
            readers.Add(session);
        }
    }

    /// <summary>Visits every record the log holds, oldest first; deleted keys are reported as tombstones.</summary>
    public void Scan(RecordVisitor visit)
    {
        using IFasterScanIterator<SpanByte, SpanByte> iterator = store.Log.Scan(store.Log.BeginAddress, store.Log.TailAddress);
        while (iterator.GetNext(out RecordInfo info))
        {
            ReadOnlySpan<byte> key = iterator.GetKey().AsReadOnlySpan();
            ReadOnlySpan<byte> value = info.Tombstone ? default : Unframe(key, iterator.GetValue().AsReadOnlySpan(), iterator.CurrentAddress);
            visit(key, value, info.Tombstone);
        }
    }

    /// <summary>
    /// Every live record with its current value (checksums verified), for a snapshot: one scan
    /// finds the keys whose newest log record is not a tombstone, then each is read through the
    /// index. The writer only (nothing may write meanwhile).
    /// </summary>
    public IEnumerable<(byte[] Key, byte[] Value)> LiveRecords()
    {
        Dictionary<byte[], bool> live = new(ByteArrayComparer.Instance);
        Scan((key, _, tombstone) => live[key.ToArray()] = !tombstone);
        foreach ((byte[] key, bool isLive) in live)
        {
            if (isLive && TryRead(key) is { } value)
            {
                yield return (key, value.ToArray());
            }
        }
    }

    /// <summary>Deletes every live record (before a snapshot replaces the state). The writer only.</summary>
    public void DeleteAll()
    {
        List<byte[]> keys = [];
        Scan((key, _, tombstone) =>
        {
            if (!tombstone)
            {
                keys.Add(key.ToArray());
            }
        });
        foreach (byte[] key in keys)
        {
            Delete(key);
        }
    }

    /// <summary>
    /// Starts a checkpoint of index and log. Every write made before this call is in it (CPR: the
    /// apply session crosses the version boundary only on a later operation).
    /// </summary>
    public bool TryStartCheckpoint() => store.TryInitiateFullCheckpoint(out _, CheckpointType.FoldOver);

    public ValueTask CompleteCheckpointAsync(CancellationToken cancellationToken) => store.CompleteCheckpointAsync(cancellationToken);

    /// <summary>Takes a checkpoint and waits for it: used at clean shutdown.</summary>
    public async Task CheckpointAsync()
    {
        await store.TakeFullCheckpointAsync(CheckpointType.FoldOver).ConfigureAwait(false);
    }

    public void Dispose()
    {
        writer.Dispose();
        while (readers.TryTake(out var session))
        {
            session.Dispose();
        }

        store.Dispose();
        device.Dispose();
    }

    private static uint Checksum(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Crc32C.Compute(value, Crc32C.Compute(key));

    /// <summary>Checks a stored value's checksum and returns the value without it.</summary>
    private ReadOnlySpan<byte> Unframe(ReadOnlySpan<byte> key, ReadOnlySpan<byte> framed, long? address)
    {
        if (framed.Length < ChecksumBytes || BinaryPrimitives.ReadUInt32LittleEndian(framed) != Checksum(key, framed[ChecksumBytes..]))
        {
            // FASTER names its log segments hlog.log.0, .1, ... each SegmentSizeBytes long.
            string file = address is { } a ? $"{logPath}.{a / SegmentSizeBytes}" : logPath + ".*";
            string where = address is { } b ? $"at log address {b}" : "read through the index";
            throw new StoreCorruptException(file, $"the FASTER record {Convert.ToHexString(key)} {where} fails its checksum");
        }

        return framed[ChecksumBytes..];
    }

    private ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>> NewSession() =>
        store.For(functions).NewSession<SpanByteFunctions<Empty>>();

    private static unsafe byte[]? Read(
        ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>> session,
        ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            SpanByte keyBytes = SpanByte.FromPointer(k, key.Length);
            SpanByte input = default;
            SpanByteAndMemory output = default;
            Status status = session.Read(ref keyBytes, ref input, ref output, Empty.Default, 0);
            if (status.IsPending)
            {
                // The record was evicted to disk: wait for the device read to complete.
                session.CompletePendingWithOutputs(out var completed, wait: true);
                using (completed)
                {
                    while (completed.Next())
                    {
                        status = completed.Current.Status;
                        output = completed.Current.Output;
                    }
                }
            }

            if (!status.Found)
            {
                output.Memory?.Dispose();
                return null;
            }

            using IMemoryOwner<byte>? owner = output.Memory;
            return owner is not null
                ? owner.Memory.Span[..output.Length].ToArray()
                : output.SpanByte.AsReadOnlySpan().ToArray();
        }
    }
}

internal delegate void RecordVisitor(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone);
