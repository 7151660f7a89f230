using System.Buffers;
using System.IO.Pipelines;

namespace Backbone.Server.Http2;

/// <summary>
/// What Kestrel reads from a client connection, put through <see cref="Http2RequestRewriter"/>:
/// while the rewriter looks at the connection, Kestrel reads its whole frames from an internal
/// pipe; once the rewriter passes through and Kestrel has taken all of them, every call goes
/// straight to the transport's reader, so a connection that needs no repair (all of them but
/// those of old etcd clients) costs nothing after its first request.
/// </summary>
/// <remarks>
/// Follows <see cref="PipeReader"/>'s contract for its one reader (Kestrel's connection loop):
/// a read returns what was not consumed, and waits for new octets when everything returned was
/// examined; <see cref="CancelPendingRead"/> ends a waiting read with <c>IsCanceled</c>.
/// </remarks>
public sealed class AuthorityRepairReader : PipeReader
{
    private readonly PipeReader inner;
    private readonly Pipe rewritten;
    private Http2RequestRewriter? rewriter;

    /// <summary>Where the last result came from, so that AdvanceTo goes to the same reader.</summary>
    private Source lastSource;
    private ReadOnlySequence<byte> lastBuffer;

    /// <summary>
    /// Octets in <see cref="rewritten"/> that Kestrel has not consumed. Counted here because the
    /// pipe's TryRead says false both when it is empty and when Kestrel examined all it holds.
    /// </summary>
    private long unconsumedBytes;

    public AuthorityRepairReader(PipeReader inner, Http2RequestRewriter rewriter)
    {
        this.inner = inner;
        this.rewriter = rewriter;
        // Written and read on the same thread (the read below writes it), never large: no
        // scheduling and no back pressure of its own.
        rewritten = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0, useSynchronizationContext: false));
    }

    private enum Source
    {
        None,
        Rewritten,
        Inner,
    }

    /// <summary>Header blocks repaired on this connection (for tests and diagnostics).</summary>
    public int RepairedBlocks { get; private set; }

    /// <summary>Reads go straight to the transport now.</summary>
    public bool IsDirect => rewriter is null;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (rewriter is null)
        {
            lastSource = Source.Inner;
            return inner.ReadAsync(cancellationToken);
        }

        return ReadRewrittenAsync(rewriter, cancellationToken);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (rewriter is not null && TryTakeRewritten(rewriter, out result))
        {
            return true;
        }

        if (rewriter is null)
        {
            lastSource = Source.Inner;
            return inner.TryRead(out result);
        }

        if (!inner.TryRead(out ReadResult read))
        {
            result = default;
            return false;
        }

        Pump(rewriter, read);
        if (read.IsCanceled)
        {
            result = Canceled();
            return true;
        }

        if (TryTakeRewritten(rewriter, out result))
        {
            return true;
        }

        if (rewriter is null)
        {
            lastSource = Source.Inner;
            return inner.TryRead(out result);
        }

        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        Source source = lastSource;
        lastSource = Source.None;
        if (source == Source.Rewritten)
        {
            unconsumedBytes -= lastBuffer.Slice(lastBuffer.Start, consumed).Length;
            lastBuffer = default;
            rewritten.Reader.AdvanceTo(consumed, examined);
        }
        else if (source == Source.Inner)
        {
            inner.AdvanceTo(consumed, examined);
        }
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        rewritten.Reader.Complete();
        rewritten.Writer.Complete();
        inner.Complete(exception);
    }

    private async ValueTask<ReadResult> ReadRewrittenAsync(Http2RequestRewriter current, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryTakeRewritten(current, out ReadResult result))
            {
                return result;
            }

            if (rewriter is null)
            {
                lastSource = Source.Inner;
                return await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            }

            ReadResult read = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            Pump(current, read);
            if (read.IsCanceled)
            {
                return Canceled();
            }
        }
    }

    /// <summary>
    /// Whether <see cref="rewritten"/> has something for Kestrel now: octets it has not examined,
    /// or the end (the pipe keeps track of what was examined). When Kestrel has consumed all of it
    /// and the rewriter passes through, switches to direct reads.
    /// </summary>
    private bool TryTakeRewritten(Http2RequestRewriter current, out ReadResult result)
    {
        if (rewritten.Reader.TryRead(out result))
        {
            lastSource = Source.Rewritten;
            lastBuffer = result.Buffer;
            return true;
        }

        if (unconsumedBytes == 0 && current.IsPassthrough)
        {
            // Kestrel took every rewritten octet: the transport's next one follows them.
            RepairedBlocks = current.RepairedBlocks;
            rewriter = null;
        }

        return false;
    }

    /// <summary>Puts what the transport returned through the rewriter and keeps the rest there for next time.</summary>
    private void Pump(Http2RequestRewriter current, ReadResult read)
    {
        SequencePosition used;
        bool copyAll = current.IsPassthrough;
        if (copyAll)
        {
            // Nothing more to rewrite, but Kestrel has not consumed all that was rewritten (it
            // consumes whole frames, so only a reader unlike it gets here): reads cannot go
            // straight to the transport yet, so copy as octets come until it has.
            foreach (ReadOnlyMemory<byte> segment in read.Buffer)
            {
                rewritten.Writer.Write(segment.Span);
            }

            used = read.Buffer.End;
        }
        else
        {
            used = current.Process(read.Buffer, rewritten.Writer);
            if (read.IsCompleted && !current.IsPassthrough)
            {
                // The client closed: what is left (a partial frame) goes to Kestrel as it is, from the transport.
                current.GiveUp(rewritten.Writer);
            }
        }

        // Once passing through, what is left is unread (it goes to Kestrel as it is), not awaiting more octets.
        inner.AdvanceTo(used, current.IsPassthrough ? used : read.Buffer.End);
        unconsumedBytes += rewritten.Writer.UnflushedBytes;
        if (copyAll && read.IsCompleted)
        {
            // Everything the client sent is in the pipe: the end follows it.
            rewritten.Writer.Complete();
        }
        else if (rewritten.Writer.UnflushedBytes > 0)
        {
            ValueTask<FlushResult> flush = rewritten.Writer.FlushAsync();
            if (!flush.IsCompleted)
            {
                throw new InvalidOperationException("the rewritten pipe has no pause threshold: a flush cannot wait");
            }

            flush.GetAwaiter().GetResult();
        }

        RepairedBlocks = current.RepairedBlocks;
    }

    private ReadResult Canceled()
    {
        lastSource = Source.None;
        return new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: true, isCompleted: false);
    }
}
