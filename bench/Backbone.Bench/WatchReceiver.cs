using System.Buffers.Binary;
using System.Diagnostics;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace Backbone.Bench;

/// <summary>
/// One watcher: its own Watch stream with one prefix watch. For every event whose value carries
/// a send timestamp inside the measured window it records receive time minus send time (both
/// this process's Stopwatch clock). Written only by its receive task; read after that task ends,
/// except <see cref="Delivered"/>, which the drain loop polls.
/// </summary>
public sealed class WatchReceiver
{
    private readonly AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call;
    private long delivered;

    private WatchReceiver(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call) => this.call = call;

    public LatencyHistogram Latency { get; } = new();

    /// <summary>(revision, arrival ticks) of every event counted in <see cref="Latency"/>.</summary>
    public List<(long Revision, long ArrivalTs)> Arrivals { get; } = [];

    public long Delivered => Volatile.Read(ref delivered);

    public string? Error { get; private set; }

    /// <summary>Opens the stream and waits for the server to confirm the watch (created = true).</summary>
    /// <param name="keyIndex">The one key to watch, or null for every key of the set (its prefix).</param>
    public static async Task<WatchReceiver> OpenAsync(GrpcChannel channel, KeySet keys, int? keyIndex, CancellationToken cancellationToken)
    {
        // etcd clients send this on every watch stream: refuse the stream if there is no leader.
        var headers = new Metadata { { "hasleader", "true" } };
        AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call = new Watch.WatchClient(channel).Watch(headers, cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = keyIndex is int i
                ? new WatchCreateRequest { Key = keys[i] }
                : new WatchCreateRequest { Key = keys.Prefix, RangeEnd = keys.PrefixEnd },
        }, cancellationToken).ConfigureAwait(false);
        if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) || !call.ResponseStream.Current.Created)
        {
            call.Dispose();
            throw new InvalidOperationException("the server did not confirm a watch");
        }

        return new WatchReceiver(call);
    }

    public async Task RunAsync(RunWindow window, CancellationToken cancellationToken)
    {
        try
        {
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                long nowTs = Stopwatch.GetTimestamp();
                WatchResponse response = call.ResponseStream.Current;
                if (response.Canceled)
                {
                    Error = $"watch canceled: {response.CancelReason}";
                    return;
                }

                foreach (Mvccpb.Event e in response.Events)
                {
                    if (e.Kv is null || e.Kv.Value.Length < sizeof(long))
                    {
                        continue;
                    }

                    long sentTs = BinaryPrimitives.ReadInt64LittleEndian(e.Kv.Value.Span);
                    if (window.Contains(sentTs))
                    {
                        Latency.Record(RunWindow.TicksToMicroseconds(nowTs - sentTs));
                        Arrivals.Add((e.Kv.ModRevision, nowTs));
                        Volatile.Write(ref delivered, delivered + 1);
                    }
                }
            }

            Error ??= "watch stream ended";
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            Error = $"{e.StatusCode}: {e.Status.Detail}";
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is RpcException or OperationCanceledException)
        {
            // The run is over: the stream is torn down on purpose.
        }
        finally
        {
            call.Dispose();
        }
    }
}
