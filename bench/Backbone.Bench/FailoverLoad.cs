using System.Diagnostics;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Bench;

/// <summary>
/// A failover run: N <see cref="FailoverWriter"/>s at a fixed total rate, spread over every
/// endpoint, while the caller (bench/run-cluster.sh) kills a member, the leader, in the middle of
/// the measured window. The result is the availability gap: the longest interval of the window
/// in which no put completed successfully anywhere, with the window's edges counting as
/// completions (so a window without any success is one gap of its whole length). When that gap
/// runs to the window's end (recovered=false), no put succeeded after it began: the real gap is
/// longer than max_gap_ms, and the window should be longer.
/// </summary>
public static class FailoverLoad
{
    private const string KeyPrefix = "bench/failover/";

    // Attempts end by their request timeout; this only bounds a server that ignores it.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    public static async Task<ResultLine> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        using var channels = new GrpcChannelSet(options.Addresses, options.Connections);
        await channels.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = new KeySet(KeyPrefix, options.Keys);
        ByteString value = options.RandomValue();
        var requestTimeout = TimeSpan.FromMilliseconds(options.RequestTimeoutMs);

        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var window = RunWindow.StartingNow(options.WarmupSeconds, options.DurationSeconds);
        var writers = new FailoverWriter[options.Clients];
        var runs = new Task[options.Clients];
        for (int i = 0; i < options.Clients; i++)
        {
            var kvByEndpoint = new KV.KVClient[channels.EndpointCount];
            for (int e = 0; e < kvByEndpoint.Length; e++)
            {
                kvByEndpoint[e] = new KV.KVClient(channels.For(i, e));
            }

            writers[i] = new FailoverWriter(kvByEndpoint, i % channels.EndpointCount, keys, value, requestTimeout, options.Seed + i + 1);
            var pacer = new Pacer(options.Rate, options.Clients, i, window.StartTs);
            FailoverWriter writer = writers[i];
            runs[i] = Task.Run(() => writer.RunAsync(window, pacer, hardStop.Token), CancellationToken.None);
        }

        var cpu = new CpuMeter([]);
        await RunWindow.DelayUntilAsync(window.MeasureStartTs, cancellationToken).ConfigureAwait(false);
        cpu.Start();

        // The caller waits for this line to time its kill inside the window.
        Console.Error.WriteLine("bench: window open");
        await RunWindow.DelayUntilAsync(window.MeasureEndTs, cancellationToken).ConfigureAwait(false);
        cpu.Stop();
        hardStop.CancelAfter(DrainTimeout);
        try
        {
            await Task.WhenAll(runs).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            Console.Error.WriteLine($"bench: some puts were still running {DrainTimeout.TotalSeconds:0} s after the window closed");
        }

        var latency = new LatencyHistogram();
        var successTs = new List<long>();
        var errorsByStatus = new Dictionary<StatusCode, (long Count, string First)>();
        long errors = 0, timeouts = 0;
        foreach (FailoverWriter writer in writers)
        {
            latency.Add(writer.Latency);
            successTs.AddRange(writer.SuccessTs);
            errors += writer.Errors;
            timeouts += writer.Timeouts;
            foreach ((StatusCode status, (long count, string first)) in writer.ErrorsByStatus)
            {
                (long sum, string example) = errorsByStatus.GetValueOrDefault(status, (0, first));
                errorsByStatus[status] = (sum + count, example);
            }
        }

        foreach ((StatusCode status, (long count, string first)) in errorsByStatus)
        {
            Console.Error.WriteLine($"bench: {count} failed attempts with {status}; first: {first}");
        }

        successTs.Sort();
        (long gapTicks, long gapStartTs) = LongestGap(successTs, window.MeasureStartTs, window.MeasureEndTs);

        DescribeGap(writers, gapStartTs, gapStartTs + gapTicks);
        var line = new ResultLine();
        if (options.Label is string label)
        {
            line.Add("label", label);
        }

        line.Add("op", "failover")
            .Add("clients", options.Clients)
            .Add("connections", options.Connections)
            .Add("endpoints", options.Endpoints.Count)
            .Add("rate", options.Rate, "0")
            .Add("request_timeout_ms", options.RequestTimeoutMs)
            .Add("duration_s", window.MeasuredSeconds, "0.0")
            .Add("ops", successTs.Count)
            .Add("ops_per_s", successTs.Count / window.MeasuredSeconds, "0")
            .Add("p50_ms", latency.QuantileMs(0.50), "0.000")
            .Add("p99_ms", latency.QuantileMs(0.99), "0.000")
            .Add("max_ms", latency.MaxMicroseconds / 1_000.0, "0.000")
            .Add("max_gap_ms", gapTicks * 1_000.0 / Stopwatch.Frequency, "0.0")
            .Add("gap_start_ms", (gapStartTs - window.MeasureStartTs) * 1_000.0 / Stopwatch.Frequency, "0")
            // Wall-clock edges of the gap, to line it up with the members' logs.
            .Add("gap_utc", $"{WallClock(gapStartTs):HH:mm:ss.fff}-{WallClock(gapStartTs + gapTicks):HH:mm:ss.fff}")
            .Add("recovered", gapStartTs + gapTicks < window.MeasureEndTs ? "true" : "false")
            .Add("errors", errors)
            .Add("timeouts", timeouts);
        cpu.AddTo(line, successTs.Count);
        return line;
    }

    /// <summary>
    /// Who ended the gap, and how: the first puts that succeeded after it, and every failed
    /// attempt inside it (stderr, for reading beside the members' logs).
    /// </summary>
    private static void DescribeGap(FailoverWriter[] writers, long gapStartTs, long gapEndTs)
    {
        var attempts = writers.SelectMany((w, i) => w.Attempts.Select(a => (Writer: i, a.StartTs, a.EndTs, a.Endpoint, a.Status))).ToList();
        foreach (var a in attempts.Where(a => a.Status == StatusCode.OK && a.EndTs >= gapEndTs).OrderBy(a => a.EndTs).Take(5))
        {
            Console.Error.WriteLine($"bench: gap ended by writer {a.Writer} on endpoint {a.Endpoint}: sent {WallClock(a.StartTs):HH:mm:ss.fff}, done {WallClock(a.EndTs):HH:mm:ss.fff}");
        }

        foreach (var a in attempts.Where(a => a.Status != StatusCode.OK && a.EndTs > gapStartTs && a.StartTs < gapEndTs).OrderBy(a => a.StartTs))
        {
            Console.Error.WriteLine($"bench: in the gap, writer {a.Writer} on endpoint {a.Endpoint}: sent {WallClock(a.StartTs):HH:mm:ss.fff}, {a.Status} at {WallClock(a.EndTs):HH:mm:ss.fff}");
        }
    }

    private static DateTime WallClock(long ts) => DateTime.UtcNow - Stopwatch.GetElapsedTime(ts, Stopwatch.GetTimestamp());

    /// <summary>
    /// The longest interval between consecutive completions in <paramref name="sortedTs"/>, with
    /// <paramref name="fromTs"/> and <paramref name="toTs"/> as the first and last; its length and start.
    /// Example: window [0, 100), completions 10, 20, 70 → gaps 10, 10, 50, 30 → (50, 20).
    /// </summary>
    private static (long LengthTicks, long StartTs) LongestGap(List<long> sortedTs, long fromTs, long toTs)
    {
        long longest = 0, longestStart = fromTs, previous = fromTs;
        foreach (long ts in sortedTs.Append(toTs))
        {
            if (ts - previous > longest)
            {
                longest = ts - previous;
                longestStart = previous;
            }

            previous = ts;
        }

        return (longest, longestStart);
    }
}
