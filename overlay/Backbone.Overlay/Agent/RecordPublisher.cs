using Backbone.Control;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Overlay.Agent;

/// <summary>
/// Keeps the records this host reports (endpoints, task statuses) in the store as wanted, all
/// attached to the node's lease: each round it writes what changed (or all of it when the lease
/// changed) and deletes what is no longer wanted, in Txns of at most <see cref="OpsPerTxn"/>
/// operations (etcd allows 128). It remembers what it wrote, so a quiet round writes nothing.
/// </summary>
public sealed class RecordPublisher(IKeyValue kv)
{
    public const int OpsPerTxn = 100;

    private readonly Dictionary<string, (ByteString Value, long Lease)> published = new(StringComparer.Ordinal);

    /// <summary>The store revision each Txn of the last <see cref="PublishAsync"/> made, in order (empty when it wrote nothing).</summary>
    public IReadOnlyList<long> LastWrites => lastWrites;

    private readonly List<long> lastWrites = [];

    /// <summary>Counts a key as written (found in the store at start-up), so it is deleted if no longer wanted.</summary>
    public void Adopt(string key) => published.TryAdd(key, (ByteString.Empty, -1));

    public async Task<int> PublishAsync(IReadOnlyDictionary<string, byte[]> wanted, long lease, CancellationToken cancellationToken)
    {
        var ops = new List<(string Key, RequestOp Op, ByteString? Value)>();
        foreach ((string key, byte[] value) in wanted)
        {
            if (!published.TryGetValue(key, out (ByteString Value, long Lease) was) || was.Lease != lease || !was.Value.Span.SequenceEqual(value))
            {
                ByteString bytes = ByteString.CopyFrom(value);
                ops.Add((key, new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = bytes, Lease = lease } }, bytes));
            }
        }

        foreach (string key in published.Keys.Where(k => !wanted.ContainsKey(k)))
        {
            ops.Add((key, new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) } }, null));
        }

        lastWrites.Clear();
        foreach ((string Key, RequestOp Op, ByteString? Value)[] chunk in ops.Chunk(OpsPerTxn))
        {
            var txn = new TxnRequest();
            txn.Success.AddRange(chunk.Select(c => c.Op));
            lastWrites.Add((await kv.TxnAsync(txn, cancellationToken).ConfigureAwait(false)).Header.Revision);
            foreach ((string key, _, ByteString? value) in chunk)
            {
                if (value is null)
                {
                    published.Remove(key);
                }
                else
                {
                    published[key] = (value, lease);
                }
            }
        }

        return ops.Count;
    }
}
