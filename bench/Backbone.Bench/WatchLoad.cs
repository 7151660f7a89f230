using System.Diagnostics;
using Etcdserverpb;
using Grpc.Core;

namespace Backbone.Bench;

/// <summary>
/// A watch run: W <see cref="WatchReceiver"/>s on one prefix (spread over the M channels), N
/// <see cref="WatchWriter"/>s putting under it at a fixed total rate over their own channels (as a
/// separate writing process would: on a shared connection a put's response queues behind the
/// watch events, which throttles the writers instead of measuring delivery). After the window it waits
/// (bounded) for every acknowledged write to reach every watcher, then reports delivery latency
/// and delivered / expected events.
/// </summary>
public static class WatchLoad
{
    private const string KeyPrefix = "bench/watch/";
    private static readonly TimeSpan DeliveryGrace = TimeSpan.FromSeconds(10);

    // Writes still in flight this long after the window closes are abandoned.
    private static readonly TimeSpan WriteDrainTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public static async Task<ResultLine> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        using var channels = new GrpcChannelSet(options.Addresses, options.Connections);
        using var writerChannels = new GrpcChannelSet(options.Addresses, Math.Min(options.Clients, options.Connections));
        await channels.ConnectAsync(cancellationToken).ConfigureAwait(false);
        await writerChannels.ConnectAsync(cancellationToken).ConfigureAwait(false);
        // Per-key mode: one key per watcher, so each write is delivered to exactly one watcher.
        var keys = new KeySet(KeyPrefix, options.WatchPerKey ? options.Watchers : options.Keys);

        var opening = new Task<WatchReceiver>[options.Watchers];
        for (int i = 0; i < options.Watchers; i++)
        {
            opening[i] = WatchReceiver.OpenAsync(channels.For(i), keys, options.WatchPerKey ? i : null, cancellationToken);
        }

        long openStartTs = Stopwatch.GetTimestamp();
        WatchReceiver[] receivers = await Task.WhenAll(opening).ConfigureAwait(false);
        Console.Error.WriteLine($"bench: {receivers.Length} watchers created in {Stopwatch.GetElapsedTime(openStartTs).TotalSeconds:0.00} s");

        using var stopReceivers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var window = RunWindow.StartingNow(options.WarmupSeconds, options.DurationSeconds);
        var receiving = new Task[receivers.Length];
        for (int i = 0; i < receivers.Length; i++)
        {
            WatchReceiver receiver = receivers[i];
            receiving[i] = Task.Run(() => receiver.RunAsync(window, stopReceivers.Token), CancellationToken.None);
        }

        using var stopWriters = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ackTimes = new AckTimes();
        var writers = new WatchWriter[options.Clients];
        var writing = new Task[options.Clients];
        for (int i = 0; i < options.Clients; i++)
        {
            writers[i] = new WatchWriter(new KV.KVClient(writerChannels.For(i)), keys, options.ValueBytes, options.Seed + i + 1, ackTimes);
            var pacer = new Pacer(options.Rate, options.Clients, i, window.StartTs);
            WatchWriter writer = writers[i];
            writing[i] = Task.Run(() => writer.RunAsync(window, pacer, stopWriters.Token), CancellationToken.None);
        }

        var cpu = new CpuMeter(options.ServerPids);
        await RunWindow.DelayUntilAsync(window.MeasureStartTs, cancellationToken).ConfigureAwait(false);
        cpu.Start();
        await RunWindow.DelayUntilAsync(window.MeasureEndTs, cancellationToken).ConfigureAwait(false);
        stopWriters.CancelAfter(WriteDrainTimeout);
        try
        {
            await Task.WhenAll(writing).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            Console.Error.WriteLine($"bench: some writes were still running {WriteDrainTimeout.TotalSeconds:0} s after the window closed");
        }

        long acknowledged = 0, writeErrors = 0;
        foreach (WatchWriter writer in writers)
        {
            acknowledged += writer.Acknowledged;
            writeErrors += writer.Errors;
            if (writer.FirstError is string message)
            {
                Console.Error.WriteLine($"bench: write error: {message}");
            }
        }

        long expected = options.WatchPerKey ? acknowledged : acknowledged * receivers.Length;
        long drainStartTs = Stopwatch.GetTimestamp();
        while (SumDelivered(receivers) < expected && Stopwatch.GetElapsedTime(drainStartTs) < DeliveryGrace)
        {
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }

        cpu.Stop();
        double drainSeconds = Stopwatch.GetElapsedTime(drainStartTs).TotalSeconds;
        await stopReceivers.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(receiving).ConfigureAwait(false);

        var latency = new LatencyHistogram();
        var afterAck = new LatencyHistogram();
        long delivered = 0, watchErrors = 0;
        foreach (WatchReceiver receiver in receivers)
        {
            latency.Add(receiver.Latency);
            foreach ((long revision, long arrivalTs) in receiver.Arrivals)
            {
                if (ackTimes.TryDelayMicroseconds(revision, arrivalTs, out long delay))
                {
                    afterAck.Record(delay);
                }
            }

            delivered += receiver.Delivered;
            if (receiver.Error is string error && watchErrors++ == 0)
            {
                Console.Error.WriteLine($"bench: watch error: {error}");
            }
        }

        var line = new ResultLine();
        if (options.Label is string label)
        {
            line.Add("label", label);
        }

        line.Add("op", "watch")
            .Add("watchers", receivers.Length)
            .Add("scope", options.WatchPerKey ? "per-key" : "prefix")
            .Add("writers", options.Clients)
            .Add("connections", options.Connections)
            .Add("rate", options.Rate, "0")
            .Add("duration_s", window.MeasuredSeconds, "0.0")
            .Add("writes", acknowledged)
            .Add("writes_per_s", acknowledged / window.MeasuredSeconds, "0")
            .Add("expected", expected)
            .Add("delivered", delivered)
            .Add("delivered_pct", expected > 0 ? delivered * 100.0 / expected : double.NaN, "0.00")
            .Add("events_per_s", delivered / window.MeasuredSeconds, "0")
            .Add("p50_ms", latency.QuantileMs(0.50), "0.000")
            .Add("p99_ms", latency.QuantileMs(0.99), "0.000")
            .Add("max_ms", latency.MaxMicroseconds / 1_000.0, "0.000")
            .Add("after_ack_p50_ms", afterAck.QuantileMs(0.50), "0.000")
            .Add("after_ack_p99_ms", afterAck.QuantileMs(0.99), "0.000")
            .Add("drain_s", drainSeconds, "0.00")
            .Add("errors", writeErrors + watchErrors);

        // CPU per delivered event, over the window plus the drain that finished delivering it.
        cpu.AddTo(line, delivered);
        return line;
    }

    private static long SumDelivered(WatchReceiver[] receivers)
    {
        long sum = 0;
        foreach (WatchReceiver receiver in receivers)
        {
            sum += receiver.Delivered;
        }

        return sum;
    }
}
