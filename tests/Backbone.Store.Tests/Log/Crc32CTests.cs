using System.Text;
using Backbone.Store.Log;

namespace Backbone.Store.Tests.Log;

public sealed class Crc32CTests
{
    [Fact]
    public void KnownVectors()
    {
        Assert.Equal(0u, Crc32C.Compute([]));
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32])); // RFC 3720 B.4: 32 bytes of zeros
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xff, 32).ToArray())); // RFC 3720 B.4: 32 bytes of 0xff
    }

    /// <summary>Every length from 0 to 70 (the 8-byte fast path and the byte tail) against a bitwise reference.</summary>
    [Fact]
    public void MatchesABitwiseReferenceAtEveryLength()
    {
        const int seed = 3720;
        Random random = new(seed);
        for (int length = 0; length <= 70; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            Assert.True(Reference(data) == Crc32C.Compute(data), $"seed {seed}, length {length}");
        }
    }

    [Fact]
    public void ContinuesFromAPreviousCrc()
    {
        byte[] data = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog");

        uint whole = Crc32C.Compute(data);
        uint parts = Crc32C.Compute(data.AsSpan(13), Crc32C.Compute(data.AsSpan(0, 13)));

        Assert.Equal(whole, parts);
    }

    private static uint Reference(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
