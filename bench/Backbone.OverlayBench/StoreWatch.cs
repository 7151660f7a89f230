using System.Collections.Concurrent;
using System.Diagnostics;
using Backbone.Control;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Backbone.OverlayBench;

/// <summary>
/// A watch on a key prefix at every given member, keeping for each key the Stopwatch time at
/// which the first member reported it put, and deleted: the earliest any client could know. The
/// time is taken when the response is read, so it is late by the member's delivery and this
/// process's scheduling (under a millisecond on a quiet machine).
/// </summary>
public sealed class StoreWatch : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, long> puts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> deletes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> readers = [];

    private StoreWatch()
    {
    }

    /// <summary>Starts a watch at each member and returns once every one of them has confirmed it (no later change is missed).</summary>
    public static async Task<StoreWatch> StartAsync(IEnumerable<GrpcChannel> members, string prefix, CancellationToken cancellationToken)
    {
        var watch = new StoreWatch();
        foreach (GrpcChannel member in members)
        {
            AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call = new Watch.WatchClient(member).Watch(cancellationToken: watch.stop.Token);
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFrom(ControlKeys.PrefixEnd(prefix)) },
            }, cancellationToken).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) || !call.ResponseStream.Current.Created)
            {
                throw new InvalidOperationException($"the watch on {prefix} at {member.Target} was not created");
            }

            watch.readers.Add(watch.ReadAsync(call));
        }

        return watch;
    }

    /// <summary>When a member first reported <paramref name="key"/> put (Stopwatch ticks), or null.</summary>
    public long? FirstPut(string key) => puts.TryGetValue(key, out long at) ? at : null;

    /// <summary>When a member first reported <paramref name="key"/> deleted (Stopwatch ticks), or null.</summary>
    public long? FirstDelete(string key) => deletes.TryGetValue(key, out long at) ? at : null;

    private async Task ReadAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call)
    {
        using (call)
        {
            try
            {
                while (await call.ResponseStream.MoveNext(stop.Token).ConfigureAwait(false))
                {
                    long now = Stopwatch.GetTimestamp();
                    foreach (Mvccpb.Event change in call.ResponseStream.Current.Events)
                    {
                        (change.Type == Mvccpb.Event.Types.EventType.Put ? puts : deletes).TryAdd(change.Kv.Key.ToStringUtf8(), now);
                    }
                }
            }
            catch (RpcException) when (stop.IsCancellationRequested)
            {
                // Disposed.
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Disposed.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(readers).ConfigureAwait(false);
        stop.Dispose();
    }
}
