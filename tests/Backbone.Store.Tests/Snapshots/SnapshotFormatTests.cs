using Backbone.Store.Snapshots;

namespace Backbone.Store.Tests.Snapshots;

/// <summary>The snapshot stream: what goes in comes out, and any damage is caught before use.</summary>
public sealed class SnapshotFormatTests
{
    private static readonly (byte[] Key, byte[] Value)[] Records =
    [
        ([1, 2, 3], [9, 9]),
        ([4], []),
        ([5, 6], new byte[70_000]),
    ];

    private static byte[] Written()
    {
        using var stream = new MemoryStream();
        SnapshotFormat.Write(stream, Records);
        return stream.ToArray();
    }

    [Fact]
    public void RecordsComeBackInOrder()
    {
        var read = SnapshotFormat.Read(new MemoryStream(Written())).ToList();

        Assert.Equal(Records.Length, read.Count);
        for (int i = 0; i < Records.Length; i++)
        {
            Assert.Equal(Records[i].Key, read[i].Key);
            Assert.Equal(Records[i].Value, read[i].Value);
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(5_000)]
    public void AFlippedByteFailsVerification(int offset)
    {
        byte[] bytes = Written();
        bytes[offset] ^= 0x40;

        Assert.Throws<InvalidDataException>(() => SnapshotFormat.Verify(new MemoryStream(bytes)));
    }

    [Fact]
    public void ACutStreamFailsVerificationAndSaysSo()
    {
        byte[] bytes = Written();

        var e = Assert.Throws<InvalidDataException>(() => SnapshotFormat.Verify(new MemoryStream(bytes[..(bytes.Length / 2)])));

        Assert.Contains("cut short", e.Message);
    }

    [Fact]
    public void SomethingElseIsNotASnapshot()
    {
        var e = Assert.Throws<InvalidDataException>(() => SnapshotFormat.Verify(new MemoryStream("hello, world, not a snapshot"u8.ToArray())));

        Assert.Contains("not a Backbone snapshot", e.Message);
    }
}
