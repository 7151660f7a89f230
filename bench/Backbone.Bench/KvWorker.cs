using System.Diagnostics;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Bench;

/// <summary>
/// One benchmark client: issues the run's operation on random keys, one at a time (closed loop,
/// or paced by its <see cref="Pacer"/>), and records what completes inside the measured window.
/// Its requests are built once and mutated between calls: a unary call has serialized its
/// request before its response arrives, so reuse after the await is safe.
/// </summary>
public sealed class KvWorker
{
    private readonly BenchOp op;
    private readonly KV.KVClient kv;
    private readonly Maintenance.MaintenanceClient maintenance;
    private readonly AlarmRequest alarm = new() { Action = AlarmRequest.Types.AlarmAction.Get };
    private readonly KeySet keys;
    private readonly Random random;
    private readonly PutRequest put;
    private readonly RangeRequest range;
    private readonly TxnRequest txn;
    private readonly Compare txnCompare;
    private readonly PutRequest txnPut;
    private readonly RangeRequest txnRange;

    public KvWorker(BenchOp op, CallInvoker channel, KeySet keys, ByteString value, int seed)
    {
        this.op = op;
        kv = new KV.KVClient(channel);
        maintenance = new Maintenance.MaintenanceClient(channel);
        this.keys = keys;
        random = new Random(seed);
        put = new PutRequest { Value = value };
        range = new RangeRequest { Serializable = op == BenchOp.RangeSerializable };

        // The compare always holds, so the success branch (a put) runs: the point is the cost of
        // a txn's compare + write path, not of a no-op.
        txnCompare = new Compare { Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Less, ModRevision = long.MaxValue };
        txnPut = new PutRequest { Value = value };
        txnRange = new RangeRequest();
        txn = new TxnRequest();
        txn.Compare.Add(txnCompare);
        txn.Success.Add(new RequestOp { RequestPut = txnPut });
        txn.Failure.Add(new RequestOp { RequestRange = txnRange });
    }

    public LatencyHistogram Latency { get; } = new();

    public long Operations { get; private set; }

    public long Errors { get; private set; }

    public string? FirstError { get; private set; }

    public async Task RunAsync(RunWindow window, Pacer pacer, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await pacer.WaitTurnAsync(cancellationToken).ConfigureAwait(false);
            long startTs = Stopwatch.GetTimestamp();
            if (startTs >= window.MeasureEndTs)
            {
                return;
            }

            bool ok = await IssueAsync(keys[random.Next(keys.Count)], cancellationToken).ConfigureAwait(false);
            long endTs = Stopwatch.GetTimestamp();
            if (!window.Contains(endTs))
            {
                continue;
            }

            if (ok)
            {
                Operations++;
                Latency.Record(RunWindow.TicksToMicroseconds(endTs - startTs));
            }
            else
            {
                Errors++;
            }
        }
    }

    /// <summary>One operation; false (and the first message kept) when the server answered an error.</summary>
    private async ValueTask<bool> IssueAsync(ByteString key, CancellationToken cancellationToken)
    {
        try
        {
            switch (op)
            {
                case BenchOp.Put:
                    put.Key = key;
                    await kv.PutAsync(put, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    break;
                case BenchOp.Range:
                case BenchOp.RangeSerializable:
                    range.Key = key;
                    await kv.RangeAsync(range, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    break;
                case BenchOp.Txn:
                    txnCompare.Key = key;
                    txnPut.Key = key;
                    txnRange.Key = key;
                    await kv.TxnAsync(txn, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    break;
                case BenchOp.Alarm:
                    await maintenance.AlarmAsync(alarm, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    break;
                default:
                    throw new InvalidOperationException($"KvWorker does not run {op}");
            }

            return true;
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            FirstError ??= $"{e.StatusCode}: {e.Status.Detail}";
            return false;
        }
    }
}
