using Backbone.Control;
using Etcdserverpb;
using Google.Protobuf;

namespace Backbone.Dns.Tests.Feed;

/// <summary>Keys and values at one revision, read through the one Txn of prefix ranges the name feed sends; counts the reads.</summary>
internal sealed class FakeStore : IKeyValue
{
    private readonly Lock gate = new();
    private readonly SortedDictionary<string, byte[]> values = new(StringComparer.Ordinal);
    private long revision = 1;
    private int reads;

    public int Reads => Volatile.Read(ref reads);

    public long Revision
    {
        get
        {
            lock (gate)
            {
                return revision;
            }
        }
    }

    /// <summary>Puts a key (a new revision) and returns the event a watch would carry.</summary>
    public KeyEvent Put(string key, byte[] value)
    {
        lock (gate)
        {
            values[key] = value;
            revision++;
            return new KeyEvent(key, value, IsDelete: false);
        }
    }

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) => throw new NotSupportedException("the name feed reads in one Txn");

    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref reads);
        lock (gate)
        {
            var response = new TxnResponse { Header = new ResponseHeader { Revision = revision }, Succeeded = true };
            foreach (RequestOp op in request.Success)
            {
                string prefix = op.RequestRange.Key.ToStringUtf8();
                var range = new RangeResponse();
                foreach ((string key, byte[] value) in values)
                {
                    if (key.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        range.Kvs.Add(new Mvccpb.KeyValue { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFrom(value) });
                    }
                }

                response.Responses.Add(new ResponseOp { ResponseRange = range });
            }

            return Task.FromResult(response);
        }
    }
}
