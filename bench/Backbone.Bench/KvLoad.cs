using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Bench;

/// <summary>
/// A put / range / range-serializable / txn run: N <see cref="KvWorker"/>s over M channels,
/// warm-up, then the measured window; one <see cref="ResultLine"/> for the whole run.
/// </summary>
public static class KvLoad
{
    private const string KeyPrefix = "bench/kv/";

    // Operations still in flight this long after the window closes are abandoned.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    public static async Task<ResultLine> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        using var channels = new GrpcChannelSet(options.Addresses, options.Connections);
        await channels.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = new KeySet(KeyPrefix, options.Keys);
        ByteString value = options.RandomValue();

        if (options.Op is BenchOp.Range or BenchOp.RangeSerializable or BenchOp.Txn)
        {
            await PrefillAsync(channels, keys, value, cancellationToken).ConfigureAwait(false);
        }

        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var window = RunWindow.StartingNow(options.WarmupSeconds, options.DurationSeconds);
        var workers = new KvWorker[options.Clients];
        var runs = new Task[options.Clients];
        for (int i = 0; i < options.Clients; i++)
        {
            workers[i] = new KvWorker(options.Op, channels.For(i).CreateCallInvoker(), keys, value, options.Seed + i + 1);
            var pacer = new Pacer(options.Rate, options.Clients, i, window.StartTs);
            KvWorker worker = workers[i];
            runs[i] = Task.Run(() => worker.RunAsync(window, pacer, hardStop.Token), CancellationToken.None);
        }

        var cpu = new CpuMeter(options.ServerPids);
        await RunWindow.DelayUntilAsync(window.MeasureStartTs, cancellationToken).ConfigureAwait(false);
        cpu.Start();
        await RunWindow.DelayUntilAsync(window.MeasureEndTs, cancellationToken).ConfigureAwait(false);
        cpu.Stop();
        hardStop.CancelAfter(DrainTimeout);
        try
        {
            await Task.WhenAll(runs).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            Console.Error.WriteLine($"bench: some operations were still running {DrainTimeout.TotalSeconds:0} s after the window closed");
        }

        var latency = new LatencyHistogram();
        long operations = 0, errors = 0;
        string? firstError = null;
        foreach (KvWorker worker in workers)
        {
            latency.Add(worker.Latency);
            operations += worker.Operations;
            errors += worker.Errors;
            firstError ??= worker.FirstError;
        }

        if (firstError is not null)
        {
            Console.Error.WriteLine($"bench: {errors} errors in the window; first: {firstError}");
        }

        var line = new ResultLine();
        if (options.Label is string label)
        {
            line.Add("label", label);
        }

        line.Add("op", BenchOptions.OpName(options.Op))
            .Add("clients", options.Clients)
            .Add("connections", options.Connections)
            .Add("endpoints", options.Endpoints.Count)
            .Add("rate", options.Rate, "0")
            .Add("duration_s", window.MeasuredSeconds, "0.0")
            .Add("ops", operations)
            .Add("ops_per_s", operations / window.MeasuredSeconds, "0")
            .Add("p50_ms", latency.QuantileMs(0.50), "0.000")
            .Add("p99_ms", latency.QuantileMs(0.99), "0.000")
            .Add("max_ms", latency.MaxMicroseconds / 1_000.0, "0.000")
            .Add("errors", errors);
        cpu.AddTo(line, operations);
        return line;
    }

    /// <summary>Writes every key once (64 at a time) so reads find values of the run's size.</summary>
    private static async Task PrefillAsync(GrpcChannelSet channels, KeySet keys, ByteString value, CancellationToken cancellationToken)
    {
        const int Parallel = 64;
        var kv = new KV.KVClient(channels.For(0));
        int next = -1;
        async Task FillAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < keys.Count)
            {
                await kv.PutAsync(new PutRequest { Key = keys[i], Value = value }, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            }
        }

        var fills = new Task[Math.Min(Parallel, keys.Count)];
        for (int i = 0; i < fills.Length; i++)
        {
            fills[i] = FillAsync();
        }

        await Task.WhenAll(fills).ConfigureAwait(false);
    }
}
