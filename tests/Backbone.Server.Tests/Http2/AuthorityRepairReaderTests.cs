using System.Buffers;
using System.IO.Pipelines;
using Backbone.Server.Http2;
using static Backbone.Server.Tests.Http2.H2Bytes;

namespace Backbone.Server.Tests.Http2;

/// <summary>
/// The reader between the transport and Kestrel, fed through a pipe in chunks of every size and
/// read as Kestrel reads (whole frames consumed, the rest examined), or by a reader that consumes
/// nothing until the end: what comes out is the connection's octets with only the invalid
/// :authority fields rewritten.
/// </summary>
public sealed class AuthorityRepairReaderTests
{
    private static readonly byte[] Settings = Frame(H2Bytes.Settings, 0, 0, []);
    private static readonly byte[] Body = Frame(Data, EndStream, 1, EmptyGrpcMessage);

    public static TheoryData<int, bool> Chunks => new()
    {
        { 1, true }, { 3, true }, { 10, true }, { 4096, true },
        { 1, false }, { 7, false }, { 4096, false },
    };

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task RewritesEveryHeaderBlockOfAConnectionThatNeedsIt(int chunkBytes, bool asKestrel)
    {
        byte[] block1 = StatusCallHeaders(Concat([0x41], Huff(HuffmanSchemeAuthority)));
        byte[] block2 = StatusCallHeaders([0xbe]); // the :authority entry block1 added
        byte[] block3 = StatusCallHeaders(Concat([0x01], Str("#initially=[http://127.0.0.1:1]")));
        byte[] priority = [0x80, 0, 0, 1, 15];
        byte[] padded = Concat([4], priority, block3[..10]); // pad length 4, priority, first fragment
        byte[] input = Concat(
            Preface, Settings,
            Frame(Headers, EndHeaders, 1, block1), Body,
            Frame(Headers, EndHeaders, 3, block2), Frame(Data, EndStream, 3, EmptyGrpcMessage),
            Frame(Headers, Padded | Priority, 5, Concat(padded, [0, 0, 0, 0])),
            Frame(Continuation, EndHeaders, 5, block3[10..]),
            Frame(Data, EndStream, 5, EmptyGrpcMessage));
        byte[] expected = Concat(
            Preface, Settings,
            Frame(Headers, EndHeaders, 1, StatusCallHeaders(Concat([0x41], Str("127.0.0.1:23791")))), Body,
            Frame(Headers, EndHeaders, 3, block2), Frame(Data, EndStream, 3, EmptyGrpcMessage),
            Frame(Headers, Priority | EndHeaders, 5, Concat(priority, StatusCallHeaders(Concat([0x01], Str("127.0.0.1:1"))))),
            Frame(Data, EndStream, 5, EmptyGrpcMessage));

        (byte[] output, AuthorityRepairReader reader) = await RunAsync(input, chunkBytes, asKestrel);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(output));
        Assert.Equal(2, reader.RepairedBlocks);
    }

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task PassesAConnectionThroughOnceItsFirstAuthorityIsValid(int chunkBytes, bool asKestrel)
    {
        byte[] input = Concat(
            Preface, Settings,
            Frame(Headers, EndHeaders, 1, StatusCallHeaders(Concat([0x41], Str("127.0.0.1:2379")))), Body,
            // Not looked at any more: Kestrel would refuse this one, as before.
            Frame(Headers, EndHeaders, 3, StatusCallHeaders(Concat([0x01], Str("http://127.0.0.1:2379")))),
            Frame(Data, EndStream, 3, EmptyGrpcMessage));

        (byte[] output, AuthorityRepairReader reader) = await RunAsync(input, chunkBytes, asKestrel);
        Assert.Equal(Convert.ToHexString(input), Convert.ToHexString(output));
        Assert.Equal(0, reader.RepairedBlocks);
        Assert.Equal(asKestrel, reader.IsDirect);
    }

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task PassesThroughWhatIsNotHttp2(int chunkBytes, bool asKestrel)
    {
        byte[] input = "GET / HTTP/1.1\r\nHost: http://x\r\n\r\n"u8.ToArray();
        (byte[] output, AuthorityRepairReader reader) = await RunAsync(input, chunkBytes, asKestrel);
        Assert.Equal(input, output);
        Assert.True(reader.IsDirect);
    }

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task HandsOverAPartialFrameWhenTheClientCloses(int chunkBytes, bool asKestrel)
    {
        byte[] partial = Frame(Data, 0, 1, new byte[10])[..12];
        byte[] input = Concat(Preface, Frame(Headers, EndHeaders, 1, StatusCallHeaders(Concat([0x01], Str("http://h:1")))), partial);
        byte[] expected = Concat(Preface, Frame(Headers, EndHeaders, 1, StatusCallHeaders(Concat([0x01], Str("h:1")))), partial);
        (byte[] output, _) = await RunAsync(input, chunkBytes, asKestrel);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(output));
    }

    [Fact]
    public async Task CancelPendingReadEndsAWaitingRead()
    {
        Pipe transport = new();
        AuthorityRepairReader reader = new(transport.Reader, new Http2RequestRewriter(16_384, 4096));
        ValueTask<ReadResult> waiting = reader.ReadAsync();
        Assert.False(waiting.IsCompleted);
        reader.CancelPendingRead();
        ReadResult result = await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(result.IsCanceled);
        reader.AdvanceTo(result.Buffer.Start);

        await transport.Writer.WriteAsync(Preface);
        result = await reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Preface, result.Buffer.ToArray());
        reader.AdvanceTo(result.Buffer.End);
        reader.Complete();
    }

    /// <summary>Writes <paramref name="input"/> in chunks and reads everything the reader lets through.</summary>
    private static async Task<(byte[] Output, AuthorityRepairReader Reader)> RunAsync(byte[] input, int chunkBytes, bool asKestrel)
    {
        Pipe transport = new(new PipeOptions(pauseWriterThreshold: 0));
        AuthorityRepairReader reader = new(transport.Reader, new Http2RequestRewriter(16_384, 4096));
        Task writing = Task.Run(async () =>
        {
            for (int i = 0; i < input.Length; i += chunkBytes)
            {
                await transport.Writer.WriteAsync(input.AsMemory(i, Math.Min(chunkBytes, input.Length - i)));
            }

            await transport.Writer.CompleteAsync();
        });

        List<byte> output = [];
        using CancellationTokenSource deadline = new(TimeSpan.FromSeconds(20));
        bool prefaceTaken = false;
        while (true)
        {
            ReadResult read = await reader.ReadAsync(deadline.Token);
            byte[] buffer = read.Buffer.ToArray();
            int taken = asKestrel ? WholeFrames(buffer, ref prefaceTaken) : 0;
            if (read.IsCompleted)
            {
                taken = buffer.Length;
            }

            output.AddRange(buffer[..taken]);
            reader.AdvanceTo(read.Buffer.GetPosition(taken), read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        await writing;
        reader.Complete();
        return (output.ToArray(), reader);
    }

    /// <summary>How many octets Kestrel's HTTP/2 loop would consume: the preface, then whole frames only.</summary>
    private static int WholeFrames(byte[] buffer, ref bool prefaceTaken)
    {
        int pos = 0;
        if (!prefaceTaken)
        {
            if (buffer.Length < 24)
            {
                return buffer.AsSpan().StartsWith(Preface.AsSpan(0, Math.Min(24, buffer.Length))) ? 0 : buffer.Length;
            }

            if (!buffer.AsSpan(0, 24).SequenceEqual(Preface))
            {
                return buffer.Length;
            }

            prefaceTaken = true;
            pos = 24;
        }

        while (buffer.Length - pos >= 9)
        {
            int length = (buffer[pos] << 16) | (buffer[pos + 1] << 8) | buffer[pos + 2];
            if (buffer.Length - pos < 9 + length)
            {
                break;
            }

            pos += 9 + length;
        }

        return pos;
    }
}
