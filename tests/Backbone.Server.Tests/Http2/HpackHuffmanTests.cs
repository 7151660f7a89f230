using System.Text;
using Backbone.Server.Http2;

namespace Backbone.Server.Tests.Http2;

public sealed class HpackHuffmanTests
{
    [Theory]
    // RFC 7541 appendix C.4 and C.6.
    [InlineData("f1e3c2e5f23a6ba0ab90f4ff", "www.example.com")]
    [InlineData("a8eb10649cbf", "no-cache")]
    [InlineData("25a849e95ba97d7f", "custom-key")]
    [InlineData("25a849e95bb8e8b4bf", "custom-value")]
    [InlineData("6402", "302")]
    [InlineData("aec3771a4b", "private")]
    [InlineData("9d29ad171863c78f0b97c8e9ae82ae43d3", "https://www.example.com")]
    [InlineData("9d29aee30c044eae05c0b86e09975f0f", "http://127.0.0.1:23791")]
    [InlineData("", "")]
    public void DecodesTheRfcExamples(string hex, string text)
    {
        byte[] encoded = Convert.FromHexString(hex);
        byte[] decoded = new byte[64];
        int length = HpackHuffman.Decode(encoded, decoded);
        Assert.Equal(text, Encoding.ASCII.GetString(decoded, 0, length));
        Assert.Equal(text.Length, HpackHuffman.DecodedLength(encoded));
    }

    [Theory]
    [InlineData("00")] // '0' (00000) then padding 000: padding must be ones
    [InlineData("ff")] // eight ones: padding longer than 7 bits
    [InlineData("ffffffff")] // EOS (30 ones) inside the string
    public void RefusesWhatRfc7541Forbids(string hex)
    {
        Assert.Equal(-1, HpackHuffman.DecodedLength(Convert.FromHexString(hex)));
    }

    [Fact]
    public void AcceptsPaddingOfOnes()
    {
        // '0' is 00000; 111 pads the octet.
        Assert.Equal(1, HpackHuffman.DecodedLength([0x07]));
    }

    [Fact]
    public void RefusesADestinationTooSmall()
    {
        Assert.Equal(-1, HpackHuffman.Decode(Convert.FromHexString("a8eb10649cbf"), new byte[3]));
    }
}
