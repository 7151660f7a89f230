using System.Buffers.Binary;

namespace Backbone.Core;

/// <summary>
/// A point in the store's history, as etcd's mvcc.revision: <see cref="Main"/> is the revision of
/// a whole transaction (what clients see), <see cref="Sub"/> orders the changes inside it.
/// </summary>
public readonly record struct Revision(long Main, long Sub) : IComparable<Revision>
{
    /// <summary>Bytes in <see cref="WriteBigEndian"/>'s form: big-endian so byte order = revision order.</summary>
    public const int EncodedLength = 16;

    public int CompareTo(Revision other)
    {
        int byMain = Main.CompareTo(other.Main);
        return byMain != 0 ? byMain : Sub.CompareTo(other.Sub);
    }

    public static bool operator <(Revision a, Revision b) => a.CompareTo(b) < 0;
    public static bool operator >(Revision a, Revision b) => a.CompareTo(b) > 0;
    public static bool operator <=(Revision a, Revision b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Revision a, Revision b) => a.CompareTo(b) >= 0;

    public void WriteBigEndian(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, Main);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], Sub);
    }

    public static Revision ReadBigEndian(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadInt64BigEndian(source), BinaryPrimitives.ReadInt64BigEndian(source[8..]));

    public override string ToString() => $"{Main}.{Sub}";
}
