using System.Collections.Concurrent;
using System.Text;
using Backbone.Store.Model;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// Random writes over a small key space: puts (some with a lease), single-key and range deletes,
/// transactions (compares, puts and deletes in random order, reads, a range delete), lease grants
/// and revokes. Each writer runs on its own seeded <see cref="Random"/>; every acknowledged write
/// leaves a <see cref="WriteClaim"/> for <see cref="HistoryRecorder.Build"/>.
///
/// Writers are safe to run concurrently: each uses and revokes only its own leases.
/// </summary>
internal sealed class RandomWorkload(StoreEngine engine)
{
    /// <summary>Keys with prefix and range neighbours: "k" and "kz" sit just outside the "k/" prefix.</summary>
    public static readonly IReadOnlyList<byte[]> Keys =
        [.. new[] { "a", "j/a", "j/b", "j/c", "k", "k/a", "k/b", "k/c", "k/d", "k/e", "k/f", "kz" }.Select(Encoding.UTF8.GetBytes)];

    /// <summary>Ranges the writers delete (and watchers watch): prefix "k/", prefix "j/", [k/b, k/e), from "k/d" on.</summary>
    public static readonly IReadOnlyList<(byte[] Key, byte[] RangeEnd)> Ranges =
    [
        ("k/"u8.ToArray(), "k0"u8.ToArray()),
        ("j/"u8.ToArray(), "j0"u8.ToArray()),
        ("k/b"u8.ToArray(), "k/e"u8.ToArray()),
        ("k/d"u8.ToArray(), [0]),
    ];

    private const long LeaseTtlSeconds = 3600; // never expires during a test: every revoke is a client's

    private int writesDone;

    public ConcurrentQueue<WriteClaim> Claims { get; } = new();

    public int WritesDone => Volatile.Read(ref writesDone);

    /// <summary>Called by the writer after each acknowledged write (any writer's task; the callee serialises itself).</summary>
    public Action? AfterWrite { get; init; }

    public async Task RunWriterAsync(int writer, Random random, int writes, CancellationToken cancellationToken)
    {
        List<long> leases = [];
        for (int n = 0; n < writes; n++)
        {
            string origin = $"writer {writer} op {n}";
            byte[] value = Encoding.UTF8.GetBytes($"{writer}.{n}");
            int dice = random.Next(100);
            if (dice < 38)
            {
                byte[] key = Pick(random, Keys);
                long lease = leases.Count > 0 && random.Next(3) == 0 ? Pick(random, leases) : 0;
                PutResult put = await engine.PutAsync(new PutRequest { Key = key, Value = value, Lease = lease }, cancellationToken);
                Claims.Enqueue(new WriteClaim(put.Revision, [ClaimedChange.Put(key)], origin));
            }
            else if (dice < 52)
            {
                (byte[] key, byte[] end) = random.Next(4) == 0 ? Pick(random, Ranges) : (Pick(random, Keys), []);
                DeleteRangeResult delete = await engine.DeleteRangeAsync(new DeleteRangeRequest { Key = key, RangeEnd = end }, cancellationToken);
                if (delete.Deleted > 0)
                {
                    Claims.Enqueue(new WriteClaim(delete.Revision, [ClaimedChange.Delete(key, end, delete.Deleted)], origin));
                }
            }
            else if (dice < 88)
            {
                await TxnAsync(random, value, leases, origin, cancellationToken);
            }
            else if (dice < 94 && leases.Count < 3)
            {
                LeaseGrantResult grant = await engine.LeaseGrantAsync(0, LeaseTtlSeconds, cancellationToken);
                leases.Add(grant.Id);
            }
            else if (leases.Count > 0)
            {
                long lease = leases[random.Next(leases.Count)];
                leases.Remove(lease);
                LeaseRevokeResult revoke = await engine.LeaseRevokeAsync(lease, cancellationToken);
                Claims.Enqueue(new WriteClaim(revoke.Revision, [], origin, IsLeaseRevoke: true));
            }

            Interlocked.Increment(ref writesDone);
            AfterWrite?.Invoke();
        }
    }

    /// <summary>
    /// Writes <paramref name="txns"/> transactions of <paramref name="keysPerTxn"/> puts each (keys
    /// "b/00".."b/nn"), one after another: a long history in few revisions, so that a catch-up
    /// chunk (1,000 events) ends at a known revision: every 1000/keysPerTxn (rounded up) revisions.
    /// Returns the first revision written.
    /// </summary>
    public async Task<long> WriteBulkAsync(int txns, int keysPerTxn, CancellationToken cancellationToken)
    {
        long first = engine.Revision + 1;
        for (int t = 0; t < txns; t++)
        {
            byte[][] keys = [.. Enumerable.Range(0, keysPerTxn).Select(i => Encoding.UTF8.GetBytes($"b/{i:D2}"))];
            RequestOp[] puts = [.. keys.Select(k => new RequestOp { Put = new PutRequest { Key = k, Value = Encoding.UTF8.GetBytes($"bulk.{t}") } })];
            TxnResult txn = await engine.TxnAsync(new TxnRequest { Success = puts }, cancellationToken);
            Claims.Enqueue(new WriteClaim(txn.Revision, [.. keys.Select(ClaimedChange.Put)], $"bulk txn {t}"));
        }

        return first;
    }

    /// <summary>One put, claimed.</summary>
    public async Task<long> PutAsync(string key, string value, CancellationToken cancellationToken)
    {
        byte[] k = Encoding.UTF8.GetBytes(key);
        PutResult put = await engine.PutAsync(new PutRequest { Key = k, Value = Encoding.UTF8.GetBytes(value) }, cancellationToken);
        Claims.Enqueue(new WriteClaim(put.Revision, [ClaimedChange.Put(k)], $"put {key}"));
        return put.Revision;
    }

    /// <summary>One delete of a single key, claimed when it deleted anything.</summary>
    public async Task<long> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        byte[] k = Encoding.UTF8.GetBytes(key);
        DeleteRangeResult delete = await engine.DeleteRangeAsync(new DeleteRangeRequest { Key = k }, cancellationToken);
        if (delete.Deleted > 0)
        {
            Claims.Enqueue(new WriteClaim(delete.Revision, [ClaimedChange.Delete(k, [], delete.Deleted)], $"delete {key}"));
        }

        return delete.Revision;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private async Task TxnAsync(Random random, byte[] value, List<long> leases, string origin, CancellationToken cancellationToken)
    {
        // Distinct keys per branch (etcd refuses duplicates); with a range delete, puts stay outside it.
        bool withRangeDelete = random.Next(6) == 0;
        (byte[] Key, byte[] RangeEnd) deleted = ("j/"u8.ToArray(), "j0"u8.ToArray());
        byte[][] candidates = [.. Keys.Where(k => !withRangeDelete || !WatchHistoryChecker.InRange(deleted.Key, deleted.RangeEnd, k)).OrderBy(_ => random.Next())];
        List<RequestOp> success = [];
        foreach (byte[] key in candidates.Take(random.Next(1, 5)))
        {
            long lease = leases.Count > 0 && random.Next(4) == 0 ? Pick(random, leases) : 0;
            success.Add(random.Next(10) < 7
                ? new RequestOp { Put = new PutRequest { Key = key, Value = value, Lease = lease } }
                : new RequestOp { DeleteRange = new DeleteRangeRequest { Key = key } });
        }

        if (withRangeDelete)
        {
            success.Insert(random.Next(success.Count + 1), new RequestOp { DeleteRange = new DeleteRangeRequest { Key = deleted.Key, RangeEnd = deleted.RangeEnd } });
        }

        if (random.Next(3) == 0)
        {
            success.Insert(random.Next(success.Count + 1), new RequestOp { Range = new RangeRequest { Key = Pick(random, Keys) } });
        }

        RequestOp[] failure = random.Next(3) switch
        {
            0 => [],
            1 => [new RequestOp { Put = new PutRequest { Key = Pick(random, Keys), Value = value } }],
            _ => [new RequestOp { Range = new RangeRequest { Key = Pick(random, Keys) } }],
        };

        Compare compare = random.Next(3) switch
        {
            0 => new Compare { Key = Pick(random, Keys), Target = CompareTarget.Version, Result = CompareResult.Greater, Number = 0 },
            1 => new Compare { Key = Pick(random, Keys), Target = CompareTarget.Version, Result = CompareResult.Equal, Number = 0 },
            _ => new Compare { Key = Pick(random, Keys), Target = CompareTarget.Mod, Result = CompareResult.Less, Number = engine.Revision },
        };

        TxnRequest request = new() { Compare = [compare], Success = [.. success], Failure = failure };
        TxnResult txn = await engine.TxnAsync(request, cancellationToken);
        RequestOp[] taken = txn.Succeeded ? request.Success : request.Failure;
        List<ClaimedChange> changes = [];
        for (int i = 0; i < taken.Length; i++)
        {
            if (taken[i].Put is { } put)
            {
                changes.Add(ClaimedChange.Put(put.Key));
            }
            else if (taken[i].DeleteRange is { } delete)
            {
                changes.Add(ClaimedChange.Delete(delete.Key, delete.RangeEnd, txn.Responses[i].DeleteRange!.Deleted));
            }
        }

        if (changes.Any(c => c.Type == WatchEventType.Put || c.Deleted > 0))
        {
            Claims.Enqueue(new WriteClaim(txn.Revision, changes, origin));
        }
    }
}
