using System.Buffers.Binary;
using Backbone.Core;
using Backbone.Store.Backend;
using Backbone.Store.Log;

namespace Backbone.Store.Mvcc;

/// <summary>
/// The bytes etcd keeps in its bbolt "key" bucket for one revision, rebuilt from a
/// <see cref="RevisionRecord"/> so that HashKV hashes exactly what etcd hashes (and so gives
/// etcd's number for the same history):
/// <list type="bullet">
/// <item>key: main revision (8 bytes big-endian), '_', sub revision (8 bytes big-endian), and a
/// trailing 't' on a tombstone (17 or 18 bytes);</item>
/// <item>value: the protobuf encoding of mvccpb.KeyValue: fields in number order, zero values
/// left out (proto3). A tombstone holds only the key.</item>
/// </list>
/// Worked example: put "a" = "1" at revision 2 as the key's first version is key
/// <c>00..02 5F 00..00</c> and value <c>0A 01 61 10 02 18 02 20 01 2A 01 31</c>.
/// Written by hand because the store references no protobuf library (ArchitectureTests).
/// </summary>
internal static class KeyBucketEncoding
{
    /// <summary>etcd's bucket name: HashKV hashes it before the first record.</summary>
    private static ReadOnlySpan<byte> BucketName => "key"u8;

    private const int RevisionKeyBytes = 17;
    private const byte Separator = (byte)'_';
    private const byte TombstoneMark = (byte)'t';

    // mvccpb.KeyValue field tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
    private const byte KeyTag = (1 << 3) | 2;
    private const byte CreateRevisionTag = 2 << 3;
    private const byte ModRevisionTag = 3 << 3;
    private const byte VersionTag = 4 << 3;
    private const byte ValueTag = (5 << 3) | 2;
    private const byte LeaseTag = 6 << 3;

    /// <summary>A varint takes at most 10 bytes (a negative int64 is sent as its 64-bit two's complement).</summary>
    private const int VarintBytesMax = 10;

    /// <summary>The CRC-32C HashKV starts from: that of the bucket name (an empty store's hash).</summary>
    public static uint Begin() => Crc32C.Compute(BucketName);

    /// <summary>
    /// Continues <paramref name="crc"/> (CRC-32C) over the record's key and value.
    /// <paramref name="scratch"/> is the caller's buffer, grown here when a record does not fit.
    /// </summary>
    public static uint Append(uint crc, Revision at, RevisionRecord record, ref byte[] scratch)
    {
        // The key with its mark, then six fields of at most a tag and a varint each, plus the two byte strings.
        int bound = RevisionKeyBytes + 1 + (6 * (1 + VarintBytesMax)) + record.Key.Length + record.Value.Length;
        if (scratch.Length < bound)
        {
            scratch = new byte[Math.Max(bound, scratch.Length * 2)];
        }

        Span<byte> buffer = scratch;
        int length = WriteKey(buffer, at, record.Tombstone);
        length += record.Tombstone ? WriteTombstoneValue(buffer[length..], record) : WriteValue(buffer[length..], record);
        return Crc32C.Compute(buffer[..length], crc);
    }

    private static int WriteKey(Span<byte> destination, Revision at, bool tombstone)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, at.Main);
        destination[8] = Separator;
        BinaryPrimitives.WriteInt64BigEndian(destination[9..], at.Sub);
        if (!tombstone)
        {
            return RevisionKeyBytes;
        }

        destination[RevisionKeyBytes] = TombstoneMark;
        return RevisionKeyBytes + 1;
    }

    /// <summary>etcd stores a delete as mvccpb.KeyValue{Key} alone.</summary>
    private static int WriteTombstoneValue(Span<byte> destination, RevisionRecord record) =>
        WriteBytesField(destination, KeyTag, record.Key);

    private static int WriteValue(Span<byte> destination, RevisionRecord record)
    {
        int n = WriteBytesField(destination, KeyTag, record.Key);
        n += WriteVarintField(destination[n..], CreateRevisionTag, record.CreateRevision);
        n += WriteVarintField(destination[n..], ModRevisionTag, record.ModRevision);
        n += WriteVarintField(destination[n..], VersionTag, record.Version);
        n += WriteBytesField(destination[n..], ValueTag, record.Value);
        n += WriteVarintField(destination[n..], LeaseTag, record.Lease);
        return n;
    }

    private static int WriteBytesField(Span<byte> destination, byte tag, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return 0;
        }

        destination[0] = tag;
        int n = 1 + WriteVarint(destination[1..], (ulong)bytes.Length);
        bytes.CopyTo(destination[n..]);
        return n + bytes.Length;
    }

    private static int WriteVarintField(Span<byte> destination, byte tag, long value)
    {
        if (value == 0)
        {
            return 0;
        }

        destination[0] = tag;
        return 1 + WriteVarint(destination[1..], unchecked((ulong)value));
    }

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[n++] = (byte)value;
        return n;
    }
}
