using System.Net;
using Backbone.Overlay.Membership;
using Backbone.Overlay.Membership.Wire;

namespace Backbone.Overlay.Tests.Membership.Wire;

public sealed class MessageCodecTests
{
    private static readonly MessageCodec Codec = new(TestKeys.Cluster);

    public static TheoryData<string> Messages => ["ping", "ack", "ping-req v4", "ping-req v6", "longest ids"];

    [Theory]
    [MemberData(nameof(Messages))]
    public void EveryMessageSurvivesTheRoundTrip(string which)
    {
        ProbeMessage sent = Sample(which);
        byte[] bytes = Codec.Encode(sent);
        Assert.True(bytes.Length <= MembershipOptions.MaxMessageBytes, $"{bytes.Length} bytes");
        Assert.Equal(DecodeResult.Ok, Codec.TryDecode(bytes, out ProbeMessage received));
        Assert.Equal(sent with { Target = null }, received with { Target = null });
        Assert.Equal(sent.Target, received.Target);
    }

    [Fact]
    public void ThePingLayoutIsAsDocumented()
    {
        byte[] bytes = Codec.Encode(ProbeMessage.Ping(0x0102030405060708, "a", "bc"));
        byte[] body = [1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 1, (byte)'a', 2, (byte)'b', (byte)'c'];
        Assert.Equal(body, bytes[..^MessageCodec.MacBytes]);
        Assert.Equal(System.Security.Cryptography.HMACSHA256.HashData(TestKeys.Cluster, body), bytes[^MessageCodec.MacBytes..]);
    }

    [Fact]
    public void AnyFlippedBitFailsTheMac()
    {
        byte[] bytes = Codec.Encode(Sample("ping-req v4"));
        for (int i = 0; i < bytes.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] tampered = (byte[])bytes.Clone();
                tampered[i] ^= (byte)(1 << bit);
                Assert.Equal(DecodeResult.BadMac, Codec.TryDecode(tampered, out _));
            }
        }
    }

    [Fact]
    public void AnotherKeysMessagesAreRefused()
    {
        byte[] bytes = new MessageCodec(TestKeys.Other).Encode(Sample("ack"));
        Assert.Equal(DecodeResult.BadMac, Codec.TryDecode(bytes, out _));
    }

    [Fact]
    public void TruncatedMissingMacAndOversizedAreRefused()
    {
        byte[] bytes = Codec.Encode(Sample("ack"));
        Assert.Equal(DecodeResult.BadLength, Codec.TryDecode([], out _));
        Assert.Equal(DecodeResult.BadLength, Codec.TryDecode(bytes.AsSpan(0, MessageCodec.MinMessageBytes - 1), out _));
        Assert.Equal(DecodeResult.BadMac, Codec.TryDecode(bytes.AsSpan(0, bytes.Length - 1), out _));
        Assert.Equal(DecodeResult.BadLength, Codec.TryDecode(bytes[..^MessageCodec.MacBytes], out _)); // this ack's body alone is too short
        Assert.Equal(DecodeResult.BadLength, Codec.TryDecode(new byte[MembershipOptions.MaxMessageBytes + 1], out _));
    }

    /// <summary>A key holder with a bug: correctly signed bodies that are not messages are refused, never thrown on.</summary>
    [Fact]
    public void SignedGarbageIsMalformedNotAnException()
    {
        int seed = Environment.TickCount;
        var random = new Random(seed);
        byte[] valid = Codec.Encode(Sample("ping-req v6"))[..^MessageCodec.MacBytes];
        int ok = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] body = i % 2 == 0 ? RandomBytes(random, random.Next(0, 480)) : Mutate(random, valid);
            byte[] signed = [.. body, .. System.Security.Cryptography.HMACSHA256.HashData(TestKeys.Cluster, body)];
            DecodeResult result = Codec.TryDecode(signed, out ProbeMessage message);
            Assert.True(result is DecodeResult.Ok or DecodeResult.Malformed or DecodeResult.BadLength, $"seed {seed}: {result}");
            if (result == DecodeResult.Ok)
            {
                ok++;
                Assert.Equal(signed, Codec.Encode(message)); // what parses re-encodes to the same bytes: no ambiguity in the format
            }
        }

        Assert.True(ok > 0, $"seed {seed}: some mutations should stay valid");
    }

    [Fact]
    public void IdsTheFormatCannotCarryAreRefusedWhenEncoding()
    {
        Assert.Throws<ArgumentException>(() => Codec.Encode(ProbeMessage.Ping(1, new string('a', MemberAddress.MaxNodeIdBytes + 1), "b")));
        Assert.Throws<ArgumentException>(() => Codec.Encode(ProbeMessage.Ping(1, "", "b")));
        Assert.Throws<ArgumentException>(() => Codec.Encode(ProbeMessage.Ack(1, "a", "b", "")));
    }

    [Fact]
    public void ShortKeysAreRefused() => Assert.Throws<ArgumentException>(() => new MessageCodec(new byte[MembershipKey.MinBytes - 1]));

    [Fact]
    public void TheDerivedKeyDependsOnTheSecretOnly()
    {
        Assert.Equal(MembershipKey.Derive("cluster secret of the tests"), TestKeys.Cluster);
        Assert.NotEqual(TestKeys.Cluster, TestKeys.Other);
        Assert.Equal(MembershipKey.Bytes, TestKeys.Cluster.Length);
        Assert.Throws<ArgumentException>(() => MembershipKey.Derive("short"));
    }

    private static ProbeMessage Sample(string which) => which switch
    {
        "ping" => ProbeMessage.Ping(42, "node-a", "node-b"),
        "ack" => ProbeMessage.Ack(ulong.MaxValue, "node-b", "node-a", "node-c"),
        "ping-req v4" => ProbeMessage.PingReq(7, "node-a", "node-b", new MemberAddress("node-c", IPEndPoint.Parse("10.1.2.3:7946"))),
        "ping-req v6" => ProbeMessage.PingReq(8, "node-a", "node-b", new MemberAddress("node-ç", IPEndPoint.Parse("[fd00::17]:65535"))),
        "longest ids" => ProbeMessage.Ack(9, new string('a', 128), new string('b', 128), new string('é', 64)),
        _ => throw new ArgumentException(which),
    };

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Changes one to three bytes, or cuts or extends the body.</summary>
    private static byte[] Mutate(Random random, byte[] valid)
    {
        byte[] bytes = random.Next(4) switch
        {
            0 => valid[..random.Next(valid.Length)],
            1 => [.. valid, .. RandomBytes(random, random.Next(1, 8))],
            _ => (byte[])valid.Clone(),
        };
        for (int i = random.Next(1, 4); i > 0 && bytes.Length > 0; i--)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        }

        return bytes;
    }
}
