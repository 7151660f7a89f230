using System.Collections.Concurrent;
using System.Diagnostics;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Server.Tests.Cluster;

/// <summary>
/// Concurrent writers, each putting fresh keys (<c>PREFIX/wWW/SSSSSS</c>) through the member a
/// routing function picks for every attempt, until stopped. Every acknowledged put is recorded
/// with its revision. A failed attempt is not retried with the same key: its effect is unknown,
/// so the next attempt takes a fresh key and only acknowledgements carry promises.
/// </summary>
public sealed class WriteLoad : IAsyncDisposable
{
    private static readonly TimeSpan BackoffAfterError = TimeSpan.FromMilliseconds(20);

    private readonly TestCluster cluster;
    private readonly string prefix;
    private Func<int, int> route;
    private readonly TimeSpan callTimeout;
    private readonly TimeSpan pauseBetweenWrites;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentQueue<AcknowledgedPut> acknowledged = new();
    private readonly Task[] writers;
    private long failures;

    /// <param name="route">Writer index → index of the member that writer sends its next put to.</param>
    /// <param name="callTimeout">Deadline of one put; past it the put's effect is unknown.</param>
    /// <param name="pauseBetweenWrites">Zero for a flat-out load; more for a light one.</param>
    public WriteLoad(TestCluster cluster, string prefix, int writers, Func<int, int> route, TimeSpan callTimeout, TimeSpan pauseBetweenWrites = default)
    {
        this.cluster = cluster;
        this.prefix = prefix;
        this.route = route;
        this.callTimeout = callTimeout;
        this.pauseBetweenWrites = pauseBetweenWrites;
        this.writers = [.. Enumerable.Range(0, writers).Select(w => Task.Run(() => RunWriterAsync(w)))];
    }

    public int AcknowledgedCount => acknowledged.Count;

    /// <summary>Sends the writers' next puts by <paramref name="next"/> (the leader moved).</summary>
    public void Route(Func<int, int> next) => Volatile.Write(ref route, next);

    public long Failures => Interlocked.Read(ref failures);

    /// <summary>Acknowledged puts so far, in no particular order.</summary>
    public IReadOnlyList<AcknowledgedPut> Acknowledged => [.. acknowledged];

    /// <summary>Waits until at least <paramref name="count"/> puts were acknowledged in total.</summary>
    public Task WaitForAcknowledgedAsync(int count, TimeSpan timeout) =>
        Poll.UntilAsync(() => Task.FromResult(AcknowledgedCount >= count), timeout,
            () => $"{AcknowledgedCount} of {count} puts acknowledged, {Failures} failed attempts\n{cluster.Logs()}");

    /// <summary>Stops the writers; puts in flight are cancelled and stay unacknowledged.</summary>
    public async Task StopAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(writers).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        stop.Dispose();
    }

    private async Task RunWriterAsync(int writer)
    {
        for (int sequence = 0; !stop.IsCancellationRequested; sequence++)
        {
            int member = Volatile.Read(ref route)(writer);
            string key = $"{prefix}w{writer:D2}/{sequence:D6}";
            string value = $"{writer}-{sequence}-{Guid.NewGuid():N}";
            long invoked = Stopwatch.GetTimestamp();
            try
            {
                PutResponse put = await cluster.Kv(member).PutAsync(
                    new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) },
                    deadline: DateTime.UtcNow + callTimeout, cancellationToken: stop.Token);
                acknowledged.Enqueue(new AcknowledgedPut(key, value, put.Header.Revision, member, invoked, Stopwatch.GetTimestamp()));
                if (pauseBetweenWrites > TimeSpan.Zero)
                {
                    await Task.Delay(pauseBetweenWrites, stop.Token);
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                Interlocked.Increment(ref failures);
                try
                {
                    await Task.Delay(BackoffAfterError, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
