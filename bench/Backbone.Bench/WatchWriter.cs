using System.Buffers.Binary;
using System.Diagnostics;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Backbone.Bench;

/// <summary>
/// One paced writer of a watch run: puts random keys under the watched prefix with its send
/// timestamp (Stopwatch ticks, little-endian) in the first 8 bytes of the value, and counts the
/// acknowledged writes sent inside the window (each one is owed to every watcher). It also notes
/// when each write's acknowledgement arrived, by revision, so the run can tell delivery after
/// the commit apart from the write's own latency (fsync included).
/// </summary>
public sealed class WatchWriter(KV.KVClient kv, KeySet keys, int valueBytes, int seed, AckTimes ackTimes)
{
    private readonly Random random = new(seed);

    // Reused: the value is wrapped, not copied, but each put is awaited before the next one
    // overwrites the timestamp, and a unary call has serialized its request by then.
    private readonly byte[] value = new byte[valueBytes];

    public long Acknowledged { get; private set; }

    public long Errors { get; private set; }

    public string? FirstError { get; private set; }

    public async Task RunAsync(RunWindow window, Pacer pacer, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await pacer.WaitTurnAsync(cancellationToken).ConfigureAwait(false);
            long sentTs = Stopwatch.GetTimestamp();
            if (sentTs >= window.MeasureEndTs)
            {
                return;
            }

            BinaryPrimitives.WriteInt64LittleEndian(value, sentTs);
            try
            {
                PutResponse response = await kv.PutAsync(new PutRequest { Key = keys[random.Next(keys.Count)], Value = UnsafeByteOperations.UnsafeWrap(value) }, cancellationToken: cancellationToken)
                    .ResponseAsync.ConfigureAwait(false);
                long ackTs = Stopwatch.GetTimestamp();
                if (window.Contains(sentTs))
                {
                    Acknowledged++;
                    ackTimes.Record(response.Header.Revision, ackTs);
                }
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                FirstError ??= $"{e.StatusCode}: {e.Status.Detail}";
                if (window.Contains(sentTs))
                {
                    Errors++;
                }
            }
        }
    }
}
