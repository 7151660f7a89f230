using System.Collections.Concurrent;
using Backbone.Api.Peer;
using Grpc.Core;

namespace Backbone.Server.Cluster;

/// <summary>
/// A follower's end of one member's <c>Peer.Stream</c>: calls sent as messages on a single
/// long-lived HTTP/2 stream and answered by id, in any order. A unary call costs both members a
/// new HTTP/2 stream, request and response headers, trailers and ASP.NET Core's per-request
/// work; a message costs a DATA frame each way. The stream opens at the first call and again at
/// the first call after it broke.
/// </summary>
/// <remarks>
/// <see cref="CallAsync"/> answers null when the member does not know the call: an older release
/// answers the stream itself UNIMPLEMENTED, and a newer one's empty answer is a call it dropped.
/// The caller then makes the unary call instead. After UNIMPLEMENTED the stream is tried again
/// only after <see cref="RetryUnsupportedAfter"/> (the member may be upgraded meanwhile).
/// When the stream breaks, every call waiting on it fails with an <see cref="RpcException"/>, as
/// a unary call to a member that went away would.
/// </remarks>
internal sealed class PeerStream(Peer.PeerClient client) : IDisposable
{
    internal static readonly TimeSpan RetryUnsupportedAfter = TimeSpan.FromMinutes(1);

    private readonly Lock gate = new();
    private readonly CancellationTokenSource lifetime = new();
    private Session? current;
    private long unsupportedUntilMs = long.MinValue;
    private long lastId;
    private bool disposed;

    /// <summary>The answer to <paramref name="request"/> (its id is set here), or null when the member does not know the call.</summary>
    public async Task<PeerStreamResponse?> CallAsync(PeerStreamRequest request, CancellationToken cancellationToken)
    {
        if (Open() is not { } session)
        {
            return null;
        }

        ulong id = (ulong)Interlocked.Increment(ref lastId);
        request.Id = id;
        var answer = new TaskCompletionSource<PeerStreamResponse?>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Pending[id] = answer;
        Interlocked.MemoryBarrier(); // the add before the check below; End sets Ended before its sweep
        try
        {
            if (Volatile.Read(ref session.Ended) is { } ended)
            {
                // Ended between Open and the add above: its sweep may have missed this call.
                return ended.StatusCode == StatusCode.Unimplemented ? null : throw ended;
            }

            try
            {
                await WriteAsync(session, request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                End(session, e); // answers this call too, with an RpcException
            }

            return await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            session.Pending.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Writes one message, one writer at a time. The write itself is never cancelled: one cut
    /// short would leave half a message on the stream every later call shares. A caller whose
    /// token fires while its message is still not out (the connection never came up, or the
    /// member stopped reading: a paused member's flow-control window is full) ends the session
    /// instead, which aborts the write; the next call opens a new stream.
    /// </summary>
    private async Task WriteAsync(Session session, PeerStreamRequest request, CancellationToken cancellationToken)
    {
        await session.Writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        Task write;
        try
        {
            write = session.Call.RequestStream.WriteAsync(request, CancellationToken.None);
        }
        catch
        {
            session.Writing.Release();
            throw;
        }

        _ = write.ContinueWith(static (done, writing) =>
        {
            _ = done.Exception; // observed here: a caller that gave up no longer awaits it
            ((SemaphoreSlim)writing!).Release();
        }, session.Writing, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        try
        {
            await write.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !write.IsCompleted)
        {
            End(session, new RpcException(new Status(StatusCode.DeadlineExceeded, "a message to the peer stream was not sent in time: the stream is abandoned")));
            throw;
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
        }

        lifetime.Cancel(); // ends the open call; its reader fails what still waits
        lifetime.Dispose();
    }

    private Session? Open()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (current is not null)
            {
                return current;
            }

            if (Environment.TickCount64 < unsupportedUntilMs)
            {
                return null;
            }

            var opened = new Session(client.Stream(cancellationToken: lifetime.Token));
            current = opened;
            _ = ReadAsync(opened);
            return opened; // not current: a reader that ended at once has cleared it
        }
    }

    /// <summary>Hands each answer to its caller until the stream ends; never throws.</summary>
    private async Task ReadAsync(Session session)
    {
        Exception ended;
        try
        {
            IAsyncStreamReader<PeerStreamResponse> answers = session.Call.ResponseStream;
            while (await answers.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                PeerStreamResponse answer = answers.Current;
                if (session.Pending.TryRemove(answer.Id, out TaskCompletionSource<PeerStreamResponse?>? caller))
                {
                    caller.TrySetResult(answer.AnswerCase == PeerStreamResponse.AnswerOneofCase.None ? null : answer);
                }
            }

            ended = new RpcException(new Status(StatusCode.Unavailable, "the member ended its peer stream"));
        }
        catch (Exception e)
        {
            ended = e;
        }

        End(session, ended);
    }

    /// <summary>Retires <paramref name="session"/> and fails (or, when unsupported, turns away) every call waiting on it.</summary>
    private void End(Session session, Exception cause)
    {
        bool unsupported = StatusOf(session, cause) == StatusCode.Unimplemented;
        RpcException failure = unsupported ? new RpcException(new Status(StatusCode.Unimplemented, "the member has no peer stream", cause))
            : cause as RpcException ?? new RpcException(new Status(StatusCode.Unavailable, $"the peer stream broke: {cause.Message}", cause));
        lock (gate)
        {
            if (session.Ended is not null)
            {
                return;
            }

            Interlocked.Exchange(ref session.Ended, failure); // a full fence before the sweep: see CallAsync's check after it adds itself
            if (current == session)
            {
                current = null;
            }

            if (unsupported)
            {
                unsupportedUntilMs = Environment.TickCount64 + (long)RetryUnsupportedAfter.TotalMilliseconds;
            }
        }

        foreach (ulong id in session.Pending.Keys)
        {
            if (session.Pending.TryRemove(id, out TaskCompletionSource<PeerStreamResponse?>? caller))
            {
                if (unsupported)
                {
                    caller.TrySetResult(null);
                }
                else
                {
                    caller.TrySetException(failure);
                }
            }
        }

        session.Call.Dispose();
    }

    /// <summary>
    /// The status the stream ended with: the failure's own, or else the member's answer when it
    /// has already ended the call (a write to a finished call need not fail with its status).
    /// </summary>
    private static StatusCode? StatusOf(Session session, Exception cause)
    {
        if (cause is RpcException rpc)
        {
            return rpc.StatusCode;
        }

        try
        {
            return session.Call.GetStatus().StatusCode;
        }
        catch (InvalidOperationException)
        {
            return null; // the call has no status yet: the member did not answer it
        }
    }

    private sealed class Session(AsyncDuplexStreamingCall<PeerStreamRequest, PeerStreamResponse> call)
    {
        public AsyncDuplexStreamingCall<PeerStreamRequest, PeerStreamResponse> Call { get; } = call;

        public ConcurrentDictionary<ulong, TaskCompletionSource<PeerStreamResponse?>> Pending { get; } = new();

        /// <summary>One write at a time: gRPC allows no more on a stream.</summary>
        public SemaphoreSlim Writing { get; } = new(1, 1);

        /// <summary>Set once, when the stream ended: what its calls fail with (UNIMPLEMENTED: the member has no stream).</summary>
        public RpcException? Ended;
    }
}
