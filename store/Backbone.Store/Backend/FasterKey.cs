using System.Buffers.Binary;
using Backbone.Core;

namespace Backbone.Store.Backend;

/// <summary>
/// Keys of the records kept in FASTER: a tag byte, then 16 bytes. Revision records are keyed by
/// (main, sub) revision, big-endian, so that the log describes itself: the user key lives inside
/// the value (<see cref="RevisionRecord"/>).
/// </summary>
internal static class FasterKey
{
    public const int Length = 17;

    public const byte RevisionTag = (byte)'r';
    public const byte LeaseTag = (byte)'l';
    public const byte MetaTag = (byte)'m';

    public static void WriteRevision(Span<byte> destination, Revision revision)
    {
        destination[0] = RevisionTag;
        revision.WriteBigEndian(destination[1..]);
    }

    public static void WriteLease(Span<byte> destination, long leaseId)
    {
        destination[0] = LeaseTag;
        BinaryPrimitives.WriteInt64BigEndian(destination[1..], leaseId);
        destination[9..Length].Clear();
    }

    public static void WriteMeta(Span<byte> destination)
    {
        destination[0] = MetaTag;
        destination[1..Length].Clear();
    }

    public static Revision ReadRevision(ReadOnlySpan<byte> key) => Revision.ReadBigEndian(key[1..]);
}
