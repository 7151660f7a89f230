using System.Buffers.Binary;

namespace Backbone.Dns.Wire;

/// <summary>
/// Names and fixed fields in wire form, written into spans: the precomputed answers and the
/// allocation-free responder share these, so a name is spelled on the wire in one place.
/// </summary>
internal static class WireNames
{
    /// <summary>A compression pointer to offset 12, where a response's question name starts.</summary>
    public const ushort PointerToQuestion = 0xc00c;

    /// <summary>The bytes <paramref name="dotted"/> takes on the wire, uncompressed (labels with their length bytes, and the root).</summary>
    public static int Length(string dotted)
    {
        string name = dotted.TrimEnd('.');
        return name.Length == 0 ? 1 : name.Length + 2;
    }

    /// <summary>
    /// Writes <paramref name="dotted"/> (<c>web.1.abc.front.</c>, ASCII, as the table spells its
    /// names) uncompressed at the start of <paramref name="destination"/>; returns the bytes written.
    /// </summary>
    public static int Write(string dotted, Span<byte> destination)
    {
        ReadOnlySpan<char> name = dotted.AsSpan().TrimEnd('.');
        int at = 0;
        while (!name.IsEmpty)
        {
            int dot = name.IndexOf('.');
            ReadOnlySpan<char> label = dot < 0 ? name : name[..dot];
            if (label.Length is 0 or > 63)
            {
                throw new ArgumentException($"'{dotted}' has a label of {label.Length} characters; labels are 1 to 63", nameof(dotted));
            }

            destination[at++] = (byte)label.Length;
            foreach (char c in label)
            {
                destination[at++] = c < 0x80 ? (byte)c : throw new ArgumentException($"'{dotted}' is not ASCII", nameof(dotted));
            }

            name = dot < 0 ? default : name[(dot + 1)..];
        }

        destination[at++] = 0;
        return at;
    }

    public static void WriteUInt16(Span<byte> destination, int offset, int value) => BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], (ushort)value);
}
