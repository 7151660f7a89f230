using System.Security.Cryptography;
using MessagePack;

namespace Backbone.Control.Networks;

/// <summary>
/// An encrypted network's keys at <c>/bb/keys/&lt;netId&gt;</c>: three AES-GCM keys (16 bytes)
/// with 4-byte salts, each stamped with a Lamport time; the primary (the one senders use) is the
/// middle one, the others are the previous and the next, so receivers always know both sides of
/// a rotation. The data plane installs keys for receive before anyone sends with them.
/// </summary>
[MessagePackObject]
public sealed record KeyRingRecord
{
    public const int CurrentSchema = 1;
    public const int KeyBytes = 16;
    public const int SaltBytes = 4;

    [Key(0)] public int Schema { get; init; } = CurrentSchema;
    [Key(1)] public required string NetworkId { get; init; }
    [Key(2)] public required IReadOnlyList<NetworkKey> Keys { get; init; }

    /// <summary>When the ring was made or last rotated (Unix ms): the leader rotates it once this is a rotation interval old.</summary>
    [Key(3)] public long RotatedUnixMs { get; init; }

    [IgnoreMember]
    public NetworkKey Primary => Keys[1];

    /// <summary>A fresh ring: three random keys at Lamport times 1, 2, 3.</summary>
    public static KeyRingRecord Create(string networkId, long nowUnixMs) => new()
    {
        NetworkId = networkId,
        Keys = [NetworkKey.Random(1), NetworkKey.Random(2), NetworkKey.Random(3)],
        RotatedUnixMs = nowUnixMs,
    };

    /// <summary>
    /// The next ring: the oldest key goes, the next key becomes the primary (every host already
    /// receives with it), and a new random key becomes the next, one Lamport tick later.
    /// </summary>
    public KeyRingRecord Rotate(long nowUnixMs) => this with
    {
        Keys = [Keys[1], Keys[2], NetworkKey.Random(Keys[2].LamportTime + 1)],
        RotatedUnixMs = nowUnixMs,
    };

    public byte[] Serialize() => MessagePackSerializer.Serialize(this);

    public static KeyRingRecord Deserialize(ReadOnlyMemory<byte> bytes) => MessagePackSerializer.Deserialize<KeyRingRecord>(bytes);
}

[MessagePackObject]
public sealed record NetworkKey
{
    [Key(0)] public required byte[] Key { get; init; }
    [Key(1)] public required byte[] Salt { get; init; }
    [Key(2)] public long LamportTime { get; init; }

    public static NetworkKey Random(long lamportTime) => new()
    {
        Key = RandomNumberGenerator.GetBytes(KeyRingRecord.KeyBytes),
        Salt = RandomNumberGenerator.GetBytes(KeyRingRecord.SaltBytes),
        LamportTime = lamportTime,
    };
}
