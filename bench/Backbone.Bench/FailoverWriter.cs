using System.Diagnostics;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Bench;

/// <summary>
/// One paced writer of a failover run, behaving as a client configured with every member: it
/// puts random keys on its current endpoint; when an attempt fails (an error status, a refused
/// connection, or no answer within the request timeout) it moves to the next endpoint and
/// retries the same put at its next turn, so retries never exceed its share of the rate. It
/// records when each put that succeeded inside the measured window completed: the run's gaps are
/// read from those times. Used by one task; read after that task ends.
/// </summary>
public sealed class FailoverWriter
{
    private readonly KV.KVClient[] kvByEndpoint;
    private readonly KeySet keys;
    private readonly Random random;
    private readonly TimeSpan requestTimeout;

    // Reused: each put is awaited before the next one changes the key (see KvWorker).
    private readonly PutRequest put;
    private int endpoint;

    /// <param name="kvByEndpoint">A client per endpoint, in the run's endpoint order.</param>
    /// <param name="firstEndpoint">The endpoint this writer starts on.</param>
    public FailoverWriter(KV.KVClient[] kvByEndpoint, int firstEndpoint, KeySet keys, ByteString value, TimeSpan requestTimeout, int seed)
    {
        this.kvByEndpoint = kvByEndpoint;
        this.keys = keys;
        this.requestTimeout = requestTimeout;
        endpoint = firstEndpoint;
        random = new Random(seed);
        put = new PutRequest { Value = value };
    }

    public LatencyHistogram Latency { get; } = new();

    /// <summary>Completion time (Stopwatch ticks) of every put that succeeded in the window, ascending; at most one per paced turn.</summary>
    public List<long> SuccessTs { get; } = [];

    /// <summary>Every attempt that ended in the window, in order: when it was sent and ended, where, and its status (OK for a success).</summary>
    public List<(long StartTs, long EndTs, int Endpoint, StatusCode Status)> Attempts { get; } = [];

    /// <summary>Failed attempts that ended in the window (timeouts included).</summary>
    public long Errors { get; private set; }

    /// <summary>Attempts abandoned after the request timeout.</summary>
    public long Timeouts { get; private set; }

    /// <summary>Failed attempts in the window by status (at most one entry per gRPC status code), with the first message of each.</summary>
    public Dictionary<StatusCode, (long Count, string First)> ErrorsByStatus { get; } = [];

    public async Task RunAsync(RunWindow window, Pacer pacer, CancellationToken cancellationToken)
    {
        bool retry = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            await pacer.WaitTurnAsync(cancellationToken).ConfigureAwait(false);
            long startTs = Stopwatch.GetTimestamp();
            if (startTs >= window.MeasureEndTs)
            {
                return;
            }

            if (!retry)
            {
                put.Key = keys[random.Next(keys.Count)];
            }

            RpcException? failure = await TryPutAsync(cancellationToken).ConfigureAwait(false);
            long endTs = Stopwatch.GetTimestamp();
            bool counted = window.Contains(endTs);
            retry = failure is not null;
            if (counted)
            {
                Attempts.Add((startTs, endTs, endpoint, failure?.StatusCode ?? StatusCode.OK));
            }

            if (failure is null)
            {
                if (counted)
                {
                    SuccessTs.Add(endTs);
                    Latency.Record(RunWindow.TicksToMicroseconds(endTs - startTs));
                }

                continue;
            }

            if (counted)
            {
                Errors++;
                Timeouts += failure.StatusCode == StatusCode.DeadlineExceeded ? 1 : 0;
                ErrorsByStatus[failure.StatusCode] = ErrorsByStatus.TryGetValue(failure.StatusCode, out (long Count, string First) seen)
                    ? (seen.Count + 1, seen.First)
                    : (1, $"endpoint {endpoint}: {failure.Status.Detail}");
            }

            endpoint = (endpoint + 1) % kvByEndpoint.Length;
        }
    }

    /// <summary>One attempt on the current endpoint: null when it succeeded, else why it failed.</summary>
    private async ValueTask<RpcException?> TryPutAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The deadline also travels as grpc-timeout, so the server may give up on it too.
            await kvByEndpoint[endpoint].PutAsync(put, deadline: DateTime.UtcNow + requestTimeout, cancellationToken: cancellationToken)
                .ResponseAsync.ConfigureAwait(false);
            return null;
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return e;
        }
    }
}
