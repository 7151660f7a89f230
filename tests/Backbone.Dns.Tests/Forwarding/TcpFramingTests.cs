using Backbone.Dns.Forwarding;

namespace Backbone.Dns.Tests.Forwarding;

/// <summary>The two-byte length prefix of DNS over TCP.</summary>
public sealed class TcpFramingTests
{
    [Fact]
    public async Task MessagesRoundTripBackToBack()
    {
        using var stream = new MemoryStream();
        await TcpFraming.WriteAsync(stream, [1, 2, 3], CancellationToken.None);
        await TcpFraming.WriteAsync(stream, new byte[300], CancellationToken.None);
        stream.Position = 0;

        Assert.Equal([0, 3, 1, 2, 3], stream.ToArray()[..5]);
        Assert.Equal([1, 2, 3], await TcpFraming.ReadAsync(stream, CancellationToken.None));
        Assert.Equal(300, (await TcpFraming.ReadAsync(stream, CancellationToken.None))!.Length);
        Assert.Null(await TcpFraming.ReadAsync(stream, CancellationToken.None));
    }

    [Theory]
    [InlineData(new byte[] { 0 })] // half a prefix
    [InlineData(new byte[] { 0, 5, 1, 2 })] // a message cut short
    public async Task AStreamThatEndsMidMessageReadsAsTheEnd(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);

        Assert.Null(await TcpFraming.ReadAsync(stream, CancellationToken.None));
    }

    [Fact]
    public async Task AZeroLengthMessageIsEmpty()
    {
        using var stream = new MemoryStream([0, 0]);

        byte[]? message = await TcpFraming.ReadAsync(stream, CancellationToken.None);

        Assert.NotNull(message);
        Assert.Empty(message);
    }
}
