using System.Buffers;
using System.Buffers.Binary;

namespace Backbone.Server.Http2;

/// <summary>
/// The client-to-server octets of one HTTP/2 connection (prior knowledge, as etcd clients speak
/// it), frame by frame: every frame is forwarded whole and unchanged, except header blocks with
/// an invalid :authority, which go out rewritten by <see cref="HpackAuthorityRewriter"/>.
/// </summary>
/// <remarks>
/// <para>It looks at a connection only as long as it must. The first header block decides: when
/// it needs no repair the rewriter turns to <see cref="IsPassthrough"/> and never looks again
/// (gRPC clients send one :authority for the whole connection). It also turns to pass-through
/// on anything it does not expect (no HTTP/2 preface, a frame larger than the server takes, a
/// header block broken or larger than <see cref="MaxHeaderBlockBytes"/>): Kestrel then sees those
/// octets as they came and answers them as it always does.</para>
/// <para>It writes only whole frames to its output, so that once it passes through, the reader
/// can hand the rest of the connection to Kestrel at a frame boundary.</para>
/// </remarks>
public sealed class Http2RequestRewriter
{
    /// <summary>The most header block octets held for one request (Kestrel takes 32 KiB of decoded headers by default).</summary>
    public const int MaxHeaderBlockBytes = 256 * 1024;

    /// <summary>The smallest SETTINGS_MAX_FRAME_SIZE (RFC 9113): rewritten frames are cut to it, which every server takes.</summary>
    public const int RewrittenFrameBytes = 16_384;

    private const int FrameHeaderBytes = 9;
    private const int PriorityBytes = 5;
    private const byte HeadersType = 0x1;
    private const byte ContinuationType = 0x9;
    private const byte EndStream = 0x1;
    private const byte EndHeaders = 0x4;
    private const byte Padded = 0x8;
    private const byte Priority = 0x20;

    private readonly int maxFrameBytes;
    private readonly HpackAuthorityRewriter hpack;

    /// <summary>The raw HEADERS and CONTINUATION frames of the header block being read.</summary>
    private readonly ArrayBufferWriter<byte> pendingFrames = new();

    /// <summary>Their header block fragments, without padding and priority.</summary>
    private readonly ArrayBufferWriter<byte> block = new();

    private readonly ArrayBufferWriter<byte> rewritten = new();
    private readonly byte[] priority = new byte[PriorityBytes];
    private int pendingStream;
    private byte pendingFlags;
    private State state = State.Preface;
    private bool repairing;

    /// <param name="maxFrameBytes">The largest frame the server takes (Kestrel's Http2.MaxFrameSize).</param>
    /// <param name="headerTableBytes">The server's SETTINGS_HEADER_TABLE_SIZE (Kestrel's Http2.HeaderTableSize).</param>
    public Http2RequestRewriter(int maxFrameBytes, int headerTableBytes)
    {
        this.maxFrameBytes = maxFrameBytes;
        hpack = new HpackAuthorityRewriter(headerTableBytes);
    }

    private enum State
    {
        Preface,
        Frames,
        Passthrough,
    }

    /// <summary>Nothing more will be rewritten: the rest of the connection can go to the server as it comes.</summary>
    public bool IsPassthrough => state == State.Passthrough;

    /// <summary>Header blocks rewritten on this connection so far.</summary>
    public int RepairedBlocks { get; private set; }

    /// <summary>
    /// Writes the whole frames at the start of <paramref name="input"/> to <paramref name="output"/>
    /// (rewritten where needed) and returns where it stopped: at a partial frame to be given again
    /// with more octets, or, once <see cref="IsPassthrough"/>, at the first octet to pass through.
    /// </summary>
    public SequencePosition Process(ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        var reader = new SequenceReader<byte>(input);
        if (state == State.Preface && !TryReadPreface(ref reader, output))
        {
            return reader.Position;
        }

        Span<byte> header = stackalloc byte[FrameHeaderBytes];
        while (state == State.Frames && reader.TryCopyTo(header))
        {
            int length = (header[0] << 16) | (header[1] << 8) | header[2];
            byte type = header[3];
            byte flags = header[4];
            int stream = BinaryPrimitives.ReadInt32BigEndian(header[5..]) & int.MaxValue;
            bool inBlock = pendingFrames.WrittenCount > 0;
            if (length > maxFrameBytes || (inBlock && (type != ContinuationType || stream != pendingStream)))
            {
                // Not what a valid connection sends: the server answers it from here on.
                GiveUp(output);
                break;
            }

            if (reader.Remaining < FrameHeaderBytes + length)
            {
                break;
            }

            ReadOnlySequence<byte> frame = reader.UnreadSequence.Slice(0, FrameHeaderBytes + length);
            if (!inBlock && type != HeadersType)
            {
                Write(output, frame);
            }
            else if (!TryAddToBlock(frame, type, flags, stream))
            {
                GiveUp(output);
                break;
            }

            reader.Advance(frame.Length);
            if (pendingFrames.WrittenCount > 0 && (flags & EndHeaders) != 0)
            {
                FinishBlock(output);
            }
        }

        return reader.Position;
    }

    /// <summary>Stops rewriting: forwards the frames of an unfinished header block as they came, and passes through from now on.</summary>
    public void GiveUp(IBufferWriter<byte> output)
    {
        output.Write(pendingFrames.WrittenSpan);
        ClearBlock();
        state = State.Passthrough;
    }

    private bool TryReadPreface(ref SequenceReader<byte> reader, IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;
        Span<byte> start = stackalloc byte[preface.Length];
        int available = (int)Math.Min(reader.Remaining, preface.Length);
        reader.TryCopyTo(start[..available]);
        if (!preface.StartsWith(start[..available]))
        {
            state = State.Passthrough;
            return false;
        }

        if (available < preface.Length)
        {
            return false;
        }

        output.Write(preface);
        reader.Advance(preface.Length);
        state = State.Frames;
        return true;
    }

    /// <summary>Keeps a HEADERS or CONTINUATION frame and its fragment; false when its padding or priority does not fit it.</summary>
    private bool TryAddToBlock(ReadOnlySequence<byte> frame, byte type, byte flags, int stream)
    {
        if (pendingFrames.WrittenCount + frame.Length > MaxHeaderBlockBytes)
        {
            return false;
        }

        ReadOnlySequence<byte> fragment = frame.Slice(FrameHeaderBytes);
        if (type == HeadersType)
        {
            int padding = 0;
            if ((flags & Padded) != 0)
            {
                if (fragment.IsEmpty)
                {
                    return false;
                }

                padding = fragment.FirstSpan[0];
                fragment = fragment.Slice(1);
            }

            if ((flags & Priority) != 0)
            {
                if (fragment.Length < PriorityBytes)
                {
                    return false;
                }

                fragment.Slice(0, PriorityBytes).CopyTo(priority);
                fragment = fragment.Slice(PriorityBytes);
            }

            if (padding > fragment.Length)
            {
                return false;
            }

            fragment = fragment.Slice(0, fragment.Length - padding);
            pendingStream = stream;
            pendingFlags = flags;
        }

        Write(pendingFrames, frame);
        Write(block, fragment);
        return true;
    }

    private void FinishBlock(IBufferWriter<byte> output)
    {
        rewritten.ResetWrittenCount();
        switch (hpack.Rewrite(block.WrittenSpan, rewritten))
        {
            case HeaderBlockOutcome.Repaired:
                WriteHeaders(output, rewritten.WrittenSpan);
                repairing = true;
                RepairedBlocks++;
                break;
            case HeaderBlockOutcome.Unchanged:
                output.Write(pendingFrames.WrittenSpan);
                if (!repairing)
                {
                    state = State.Passthrough;
                }

                break;
            default:
                output.Write(pendingFrames.WrittenSpan);
                state = State.Passthrough;
                break;
        }

        ClearBlock();
    }

    /// <summary>The rewritten block as one HEADERS frame (same stream, END_STREAM and priority, no padding) and as many CONTINUATIONs as it needs.</summary>
    private void WriteHeaders(IBufferWriter<byte> output, ReadOnlySpan<byte> headerBlock)
    {
        bool hasPriority = (pendingFlags & Priority) != 0;
        int room = RewrittenFrameBytes - (hasPriority ? PriorityBytes : 0);
        int chunk = Math.Min(room, headerBlock.Length);
        byte flags = (byte)((pendingFlags & (EndStream | Priority)) | (chunk == headerBlock.Length ? EndHeaders : 0));
        WriteFrameHeader(output, chunk + (hasPriority ? PriorityBytes : 0), HeadersType, flags);
        if (hasPriority)
        {
            output.Write(priority);
        }

        output.Write(headerBlock[..chunk]);
        headerBlock = headerBlock[chunk..];
        while (!headerBlock.IsEmpty)
        {
            chunk = Math.Min(RewrittenFrameBytes, headerBlock.Length);
            WriteFrameHeader(output, chunk, ContinuationType, chunk == headerBlock.Length ? EndHeaders : (byte)0);
            output.Write(headerBlock[..chunk]);
            headerBlock = headerBlock[chunk..];
        }
    }

    private void WriteFrameHeader(IBufferWriter<byte> output, int length, byte type, byte flags)
    {
        Span<byte> header = stackalloc byte[FrameHeaderBytes];
        header[0] = (byte)(length >> 16);
        header[1] = (byte)(length >> 8);
        header[2] = (byte)length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header[5..], pendingStream);
        output.Write(header);
    }

    private void ClearBlock()
    {
        pendingFrames.ResetWrittenCount();
        block.ResetWrittenCount();
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySequence<byte> octets)
    {
        foreach (ReadOnlyMemory<byte> segment in octets)
        {
            output.Write(segment.Span);
        }
    }
}
