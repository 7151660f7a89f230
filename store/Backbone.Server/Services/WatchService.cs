using Backbone.Core;
using Backbone.Store.Watch;
using Google.Protobuf;
using Grpc.Core;
using Etcd = Etcdserverpb;

namespace Backbone.Server.Services;

/// <summary>
/// etcd's Watch service: one bidirectional stream carries many watches. A receive loop turns
/// create, cancel and progress requests into calls on the store's <see cref="WatchStream"/>; a
/// send loop (the only writer of the response stream) turns its messages into WatchResponses,
/// splitting a response too large for one message when the watch asked for fragments.
/// </summary>
public sealed class WatchService(NodeContext node) : Etcd.Watch.WatchBase
{
    public override async Task Watch(
        IAsyncStreamReader<Etcd.WatchRequest> requestStream,
        IServerStreamWriter<Etcd.WatchResponse> responseStream,
        ServerCallContext context)
    {
        await using WatchStream stream = node.Engine.OpenWatchStream();
        using CancellationTokenSource done = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);

        // Each create yields exactly one "created" message, in order: this queue pairs them with the fragment flag.
        Queue<bool> pendingFragmentFlags = new();
        HashSet<long> fragmenting = [];
        Lock flagsLock = new();

        Task send = SendLoopAsync(stream, responseStream, pendingFragmentFlags, fragmenting, flagsLock, done.Token);
        try
        {
            await foreach (Etcd.WatchRequest request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                switch (request.RequestUnionCase)
                {
                    case Etcd.WatchRequest.RequestUnionOneofCase.CreateRequest:
                        lock (flagsLock)
                        {
                            pendingFragmentFlags.Enqueue(request.CreateRequest.Fragment);
                        }

                        stream.Create(ToSpec(request.CreateRequest));
                        break;
                    case Etcd.WatchRequest.RequestUnionOneofCase.CancelRequest:
                        stream.Cancel(request.CancelRequest.WatchId);
                        break;
                    case Etcd.WatchRequest.RequestUnionOneofCase.ProgressRequest:
                        stream.RequestProgress();
                        break;
                }
            }
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            try
            {
                await send.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The client went away or closed its side: the stream ends here.
            }
        }
    }

    private static WatchSpec ToSpec(Etcd.WatchCreateRequest create)
    {
        // As etcd: an empty key means "\0", the smallest key (so key "" + range_end "\0" is everything).
        byte[] key = create.Key.IsEmpty ? [0] : create.Key.ToByteArray();
        return new WatchSpec
        {
            Key = key,
            RangeEnd = create.RangeEnd.ToByteArray(),
            StartRevision = create.StartRevision,
            PrevKv = create.PrevKv,
            ProgressNotify = create.ProgressNotify,
            NoPut = create.Filters.Contains(Etcd.WatchCreateRequest.Types.FilterType.Noput),
            NoDelete = create.Filters.Contains(Etcd.WatchCreateRequest.Types.FilterType.Nodelete),
            WatchId = create.WatchId,
        };
    }

    private async Task SendLoopAsync(
        WatchStream stream,
        IServerStreamWriter<Etcd.WatchResponse> responseStream,
        Queue<bool> pendingFragmentFlags,
        HashSet<long> fragmenting,
        Lock flagsLock,
        CancellationToken cancellationToken)
    {
        await foreach (WatchMessage message in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            bool fragment;
            lock (flagsLock)
            {
                if (message.Created && pendingFragmentFlags.TryDequeue(out bool wants) && wants && !message.Canceled)
                {
                    fragmenting.Add(message.WatchId);
                }

                if (message.Canceled)
                {
                    fragmenting.Remove(message.WatchId);
                }

                fragment = fragmenting.Contains(message.WatchId);
            }

            foreach (Etcd.WatchResponse response in ToResponses(message, fragment))
            {
                await responseStream.WriteAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private IEnumerable<Etcd.WatchResponse> ToResponses(WatchMessage message, bool fragment)
    {
        Etcd.WatchResponse whole = NewResponse(message);
        foreach (var e in message.Events)
        {
            whole.Events.Add(ProtoMapping.ToProto(e));
        }

        if (!fragment || whole.CalculateSize() <= StoreLimits.MaxRequestBytes)
        {
            yield return whole;
            yield break;
        }

        // etcd's fragmentation: every part but the last has fragment=true; a part holds at least one event.
        Etcd.WatchResponse part = NewResponse(message);
        int size = 0;
        foreach (Mvccpb.Event e in whole.Events)
        {
            int eventSize = e.CalculateSize() + 8;
            if (part.Events.Count > 0 && size + eventSize > StoreLimits.MaxRequestBytes)
            {
                part.Fragment = true;
                yield return part;
                part = NewResponse(message);
                size = 0;
            }

            part.Events.Add(e);
            size += eventSize;
        }

        yield return part;
    }

    private Etcd.WatchResponse NewResponse(WatchMessage message) => new()
    {
        Header = node.Header(message.Revision),
        WatchId = message.WatchId,
        Created = message.Created,
        Canceled = message.Canceled,
        CompactRevision = message.CompactRevision,
        CancelReason = message.CancelReason,
    };
}
