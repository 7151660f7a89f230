using Backbone.Api.Peer;
using Grpc.Core;

namespace Backbone.Server.Services;

public sealed partial class PeerService
{
    /// <summary>
    /// A follower's calls as messages on one stream (peer.proto; its end is
    /// <see cref="Cluster.PeerStream"/>). Each message is answered as soon as its call is done, in
    /// any order: a read index that waits for a round must not hold up the next. The call ends
    /// when the follower ends its stream or goes away, once every answer is written or can no
    /// longer be. Unlike a call, a message cannot be cancelled: one the follower gave up on is
    /// still answered, and its answer dropped there.
    /// </summary>
    public override async Task Stream(IAsyncStreamReader<PeerStreamRequest> requests, IServerStreamWriter<PeerStreamResponse> responses, ServerCallContext context)
    {
        // Ended when this node stops, too: Kestrel's graceful stop waits for open requests, and
        // the follower keeps this one open for as long as it follows.
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        CancellationToken cancellationToken = call.Token;
        var answers = new StreamAnswers(responses, cancellationToken);
        try
        {
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                await answers.WaitForRoomAsync().ConfigureAwait(false);
                answers.Send(AnswerAsync(requests.Current, cancellationToken));
            }
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Stopping: the follower sees the stream end and asks the next leader.
        }
        finally
        {
            await answers.DrainAsync().ConfigureAwait(false); // gRPC ends the response stream when this returns
        }
    }

    /// <summary>The answer to one message; never throws, so every message the follower sent gets one while the stream lives.</summary>
    private async Task<PeerStreamResponse> AnswerAsync(PeerStreamRequest request, CancellationToken cancellationToken)
    {
        var answer = new PeerStreamResponse { Id = request.Id };
        switch (request.CallCase)
        {
            case PeerStreamRequest.CallOneofCase.ReadIndex:
                long? index;
                try
                {
                    index = await log.Node.ReadIndexForFollowerAsync(request.ReadIndex.KnownCommitIndex, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    index = null; // leadership lost mid-round, or stopping: the follower looks for the leader again
                }

                answer.ReadIndex = new ReadIndexResponse { IsLeader = index is not null, Index = index ?? 0 };
                break;

            default:
                // A call this release does not know (a newer follower's): the empty answer tells
                // it to make that call the unary way.
                break;
        }

        return answer;
    }

    /// <summary>
    /// Writes a stream's answers one at a time (gRPC allows no more) as they become ready, and
    /// knows when the last one is out. At most <see cref="MaxUnanswered"/> are being worked on at
    /// once: a follower has one read index in flight, so only a misbehaving caller reaches the
    /// bound, and then its stream stops being read (HTTP/2 flow control holds it back) instead
    /// of this node's memory growing with its requests.
    /// </summary>
    private sealed class StreamAnswers(IServerStreamWriter<PeerStreamResponse> responses, CancellationToken cancellationToken)
    {
        private const int MaxUnanswered = 256;

        private readonly SemaphoreSlim room = new(MaxUnanswered, MaxUnanswered);
        private readonly SemaphoreSlim writing = new(1, 1);
        private readonly TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int unsent = 1; // the reading loop's own share, given up by DrainAsync

        /// <summary>Returns once fewer than <see cref="MaxUnanswered"/> answers are unsent; call before each <see cref="Send"/>.</summary>
        public Task WaitForRoomAsync() => room.WaitAsync(cancellationToken);

        public void Send(Task<PeerStreamResponse> answer)
        {
            Interlocked.Increment(ref unsent);
            _ = WriteAsync(answer);
        }

        /// <summary>Completes once every answer given to <see cref="Send"/> is written or dropped.</summary>
        public Task DrainAsync()
        {
            Release();
            return drained.Task;
        }

        private async Task WriteAsync(Task<PeerStreamResponse> answer)
        {
            try
            {
                PeerStreamResponse response = await answer.ConfigureAwait(false);
                await writing.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await responses.WriteAsync(response, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    writing.Release();
                }
            }
            catch (Exception)
            {
                // The follower went away (or the node is stopping): nobody waits for this answer.
            }
            finally
            {
                room.Release();
                Release();
            }
        }

        private void Release()
        {
            if (Interlocked.Decrement(ref unsent) == 0)
            {
                drained.TrySetResult();
            }
        }
    }
}
