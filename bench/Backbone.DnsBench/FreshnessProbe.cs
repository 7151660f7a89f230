using System.Diagnostics;
using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Nodes;
using Backbone.Control.Services;
using Etcdserverpb;

namespace Backbone.DnsBench;

/// <summary>
/// Freshness: how long after a store write another node's DNS server answers with it. A dnsrr
/// service "fresh" keeps one running task; each sample adds a second running task endpoint or
/// removes it (a scale up or down by one, the write an agent makes when a task starts or goes),
/// sent to the node at --endpoint, while --dns (another node's listener) is asked every --poll-ms
/// until the answer count changes. Timed from the moment the write is sent, so a change the
/// other node shows before the writer's acknowledgement arrives is timed as what it is.
/// </summary>
public static class FreshnessProbe
{
    public const string ServiceName = "fresh";

    /// <summary>A sample not visible by then counts as failed (the target is 20 ms).</summary>
    private static readonly TimeSpan SampleLimit = TimeSpan.FromSeconds(5);

    public static async Task<FreshnessResult> RunAsync(StoreConnection store, DnsBenchOptions options, CancellationToken cancellationToken)
    {
        NetworkRecord network = await store.Networks.FindAsync(options.Network, cancellationToken).ConfigureAwait(false);
        NodeRecord node = await LiveNode.FindAsync(store.Kv, cancellationToken).ConfigureAwait(false);
        ServiceRecord service = await store.Services.CreateAsync(Seeder.Spec(ServiceName, "dnsrr", network.Name), cancellationToken).ConfigureAwait(false);
        var endpoints = new TaskEndpoints(store.Kv, network, node);
        EndpointRecord steady = await endpoints.NewAsync(service, 1, cancellationToken).ConfigureAwait(false);
        EndpointRecord scaled = await endpoints.NewAsync(service, 2, cancellationToken).ConfigureAwait(false);

        using var probe = new DnsProbe(options.Dns!, $"{ServiceName}.{network.Name}.", TimeSpan.FromMilliseconds(200));
        await endpoints.PutAsync(steady, cancellationToken).ConfigureAwait(false);
        if (WaitFor(probe, 1, Stopwatch.GetTimestamp(), TimeSpan.FromSeconds(30), options.PollMs) is null)
        {
            throw new TimeoutException($"{options.Dns} did not answer {ServiceName}.{network.Name}. with one address within 30 s of its first task");
        }

        var random = new Random(options.Seed);
        List<double> visible = [];
        List<double> acknowledged = [];
        int failed = 0;
        for (int k = 0; k < options.Samples; k++)
        {
            // Apart in time, so that each sample is one write the feed sees alone, not a batch.
            await Task.Delay(20 + random.Next(30), cancellationToken).ConfigureAwait(false);
            bool up = k % 2 == 0;
            long start = Stopwatch.GetTimestamp();
            long acknowledgedAt = 0;
            Task<TxnResponse> write = up ? endpoints.PutAsync(scaled, cancellationToken) : endpoints.DeleteAsync(scaled, cancellationToken);
            Task noted = write.ContinueWith(_ => Volatile.Write(ref acknowledgedAt, Stopwatch.GetTimestamp()), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            TimeSpan? seen = WaitFor(probe, up ? 2 : 1, start, SampleLimit, options.PollMs);
            await write.ConfigureAwait(false);
            await noted.ConfigureAwait(false);
            if (seen is null)
            {
                failed++;
                Console.Error.WriteLine($"dnsbench: sample {k} ({(up ? "scale up" : "scale down")}) not answered within {SampleLimit.TotalSeconds:0} s");
                continue;
            }

            visible.Add(seen.Value.TotalMilliseconds);
            acknowledged.Add(Stopwatch.GetElapsedTime(start, acknowledgedAt).TotalMilliseconds);
        }

        return new FreshnessResult(visible, acknowledged, failed);
    }

    /// <summary>Asks until the answer has <paramref name="count"/> addresses; the time since <paramref name="start"/> then, or null past the limit.</summary>
    private static TimeSpan? WaitFor(DnsProbe probe, int count, long start, TimeSpan limit, int pollMs)
    {
        while (Stopwatch.GetElapsedTime(start) < limit)
        {
            if (probe.AnswerCount() == count)
            {
                return Stopwatch.GetElapsedTime(start);
            }

            if (pollMs > 0)
            {
                Thread.Sleep(pollMs);
            }
        }

        return null;
    }
}
