using System.Buffers;
using Backbone.Server.Http2;
using static Backbone.Server.Tests.Http2.H2Bytes;

namespace Backbone.Server.Tests.Http2;

public sealed class HpackAuthorityRewriterTests
{
    private readonly HpackAuthorityRewriter rewriter = new(HpackTableMirror.InitialMaxSize);

    [Fact]
    public void LeavesTheRfcRequestsAloneAndSizesTheTableAsTheRfcDoes()
    {
        // RFC 7541 C.4.1 and C.4.2: GET http://www.example.com/, the second adding cache-control.
        Assert.Equal(HeaderBlockOutcome.Unchanged, Rewrite(Convert.FromHexString("828684418cf1e3c2e5f23a6ba0ab90f4ff"), out _));
        Assert.Equal(57, rewriter.Table.Size);
        Assert.Equal(HeaderBlockOutcome.Unchanged, Rewrite(Convert.FromHexString("828684be5886a8eb10649cbf"), out _));
        Assert.Equal(110, rewriter.Table.Size);
        Assert.Equal(2, rewriter.Table.Count);
    }

    [Fact]
    public void RepairsAHuffmanAuthorityWithIndexingAndMirrorsTheOriginalEntry()
    {
        byte[] block = Concat([0x83, 0x86, 0x84, 0x41], Huff(HuffmanSchemeAuthority), [0x5f], Str("application/grpc"));
        Assert.Equal(HeaderBlockOutcome.Repaired, Rewrite(block, out byte[] rewritten));
        Assert.Equal(Concat([0x83, 0x86, 0x84, 0x41], Str("127.0.0.1:23791"), [0x5f], Str("application/grpc")), rewritten);

        // The client's entries: content-type (12 + 16 + 32), then :authority with its original value (10 + 22 + 32).
        Assert.Equal(2, rewriter.Table.Count);
        Assert.Equal(60 + 64, rewriter.Table.Size);
        Assert.True(rewriter.Table.TryGetName(63, out int nameLength, out bool isAuthority));
        Assert.Equal((10, true), (nameLength, isAuthority));

        // Later requests name the entry by index: Kestrel's copy already holds the repaired value.
        Assert.Equal(HeaderBlockOutcome.Unchanged, Rewrite([0x83, 0x86, 0x84, 0xbf, 0xbe], out _));
    }

    [Theory]
    [InlineData(0x00, 0x01)] // without indexing
    [InlineData(0x10, 0x11)] // never indexed
    public void RepairsALiteralNameAuthorityKeepingTheRepresentation(byte pattern, byte expectedFirst)
    {
        byte[] block = Concat([0x82, pattern], Str(":authority"), Str("http://h:1"), [0x87]);
        Assert.Equal(HeaderBlockOutcome.Repaired, Rewrite(block, out byte[] rewritten));
        Assert.Equal(Concat([0x82, expectedFirst], Str("h:1"), [0x87]), rewritten);
        Assert.Equal(0, rewriter.Table.Count);
    }

    [Fact]
    public void RepairsAnAuthorityNamedByADynamicIndex()
    {
        Assert.Equal(HeaderBlockOutcome.Unchanged, Rewrite(Concat([0x41], Str("a:1")), out _));
        // Literal without indexing, name index 62 (4-bit prefix: 15, then 47).
        Assert.Equal(HeaderBlockOutcome.Repaired, Rewrite(Concat([0x0f, 0x2f], Str("#initially=[http://b:2]")), out byte[] rewritten));
        Assert.Equal(Concat([0x01], Str("b:2")), rewritten);
    }

    [Fact]
    public void EvictsAsTheClientDoes()
    {
        Assert.Equal(HeaderBlockOutcome.Unchanged, Rewrite(Concat([0x41], Str("a:1"), [0x40], Str("x-one"), Str("1")), out _));
        Assert.Equal(2, rewriter.Table.Count);
        // A size update to 40 keeps only entries that fit: x-one (5 + 1 + 32 = 38).
        Assert.Equal(HeaderBlockOutcome.Unchanged, Rewrite([0x3f, 0x09], out _));
        Assert.Equal(1, rewriter.Table.Count);
        Assert.True(rewriter.Table.TryGetName(62, out int nameLength, out bool isAuthority));
        Assert.Equal((5, false), (nameLength, isAuthority));
        Assert.False(rewriter.Table.TryGetName(63, out _, out _));
    }

    [Theory]
    [InlineData("80")] // index 0
    [InlineData("c0")] // index 64: beyond the static table and an empty dynamic one
    [InlineData("41")] // truncated: no value
    [InlineData("410a6162")] // value runs past the block
    [InlineData("3fe21f")] // size update to 4097: over the server's limit
    [InlineData("41820000")] // Huffman value "00 00": padding of zeros
    public void ReportsMalformedBlocks(string hex)
    {
        Assert.Equal(HeaderBlockOutcome.Malformed, Rewrite(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void WritesMultiOctetIntegers()
    {
        ArrayBufferWriter<byte> output = new();
        // RFC 7541 C.1.2: 1337 with a 5-bit prefix.
        HpackAuthorityRewriter.WriteInteger(output, 0, 5, 1337);
        Assert.Equal(Convert.FromHexString("1f9a0a"), output.WrittenSpan.ToArray());
        int pos = 0;
        Assert.True(HpackAuthorityRewriter.TryReadInteger(output.WrittenSpan, ref pos, 5, out int value));
        Assert.Equal(1337, value);
    }

    private HeaderBlockOutcome Rewrite(byte[] block, out byte[] rewritten)
    {
        ArrayBufferWriter<byte> output = new();
        HeaderBlockOutcome outcome = rewriter.Rewrite(block, output);
        rewritten = output.WrittenSpan.ToArray();
        return outcome;
    }
}
