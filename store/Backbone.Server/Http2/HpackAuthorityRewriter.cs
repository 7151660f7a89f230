using System.Buffers;

namespace Backbone.Server.Http2;

/// <summary>
/// Reads the HPACK header blocks (RFC 7541) of one HTTP/2 connection from the client, in order,
/// and replaces each <c>:authority</c> field whose value Kestrel would refuse (see
/// <see cref="HostAuthority"/>) with a literal carrying the repaired value. Everything else is
/// copied octet for octet.
/// </summary>
/// <remarks>
/// <para>Why the decoding tables stay in step. The client's encoder and Kestrel's decoder each keep a
/// dynamic table, and an indexed field means "the n-th newest entry". This class mirrors the
/// client's table with the original entries (<see cref="HpackTableMirror"/>) to know which
/// indexes name :authority. Kestrel's table gets the same entries in the same order, except a
/// repaired :authority, which is never larger than the original (<see cref="HostAuthority.Repair"/>).
/// So Kestrel never has to evict an entry the client still has: the client's table is always a
/// prefix of Kestrel's, every index the client sends names the same entry in both (the repaired
/// value in Kestrel's), and a later indexed reference to a repaired entry needs no rewriting.</para>
/// <para>One instance per connection, used by one reader at a time; header blocks must be given
/// in the order they arrive, every one of them, since each may change the table.</para>
/// </remarks>
public sealed class HpackAuthorityRewriter(int tableSizeLimit)
{
    private const int IndexedField = 0x80;
    private const int IncrementalIndexing = 0x40;
    private const int SizeUpdateMask = 0xE0;
    private const int SizeUpdate = 0x20;
    private const int NeverIndexed = 0x10;
    private const int StaticAuthorityIndex = 1;

    /// <summary>Huffman-coded :authority values up to this many octets are checked on the stack.</summary>
    private const int StackValueBytes = 256;

    private readonly HpackTableMirror table = new(tableSizeLimit);

    /// <summary>The client's dynamic table as mirrored here (for tests).</summary>
    public HpackTableMirror Table => table;

    /// <summary>
    /// Reads one complete header block, updates the table, and when it returns
    /// <see cref="HeaderBlockOutcome.Repaired"/> has appended the rewritten block to
    /// <paramref name="rewritten"/> (nothing is appended otherwise).
    /// </summary>
    public HeaderBlockOutcome Rewrite(ReadOnlySpan<byte> block, IBufferWriter<byte> rewritten)
    {
        int pos = 0;
        int copied = 0;
        bool changed = false;
        while (pos < block.Length)
        {
            int start = pos;
            byte first = block[pos];
            if ((first & IndexedField) != 0)
            {
                if (!TryReadInteger(block, ref pos, 7, out int index) || !table.TryGetName(index, out _, out _))
                {
                    return HeaderBlockOutcome.Malformed;
                }

                continue;
            }

            if ((first & SizeUpdateMask) == SizeUpdate)
            {
                if (!TryReadInteger(block, ref pos, 5, out int maxSize) || !table.TrySetMaxSize(maxSize))
                {
                    return HeaderBlockOutcome.Malformed;
                }

                continue;
            }

            bool indexing = (first & IncrementalIndexing) != 0;
            if (!TryReadInteger(block, ref pos, indexing ? 6 : 4, out int nameIndex)
                || !TryReadName(block, ref pos, nameIndex, out int nameLength, out bool isAuthority)
                || !TryReadString(block, ref pos, out ReadOnlySpan<byte> value, out bool huffman))
            {
                return HeaderBlockOutcome.Malformed;
            }

            int valueLength = huffman && (indexing || isAuthority) ? HpackHuffman.DecodedLength(value) : value.Length;
            if (valueLength < 0)
            {
                return HeaderBlockOutcome.Malformed;
            }

            if (isAuthority && !IsValidAuthority(value, huffman, valueLength))
            {
                rewritten.Write(block[copied..start]);
                WriteAuthority(rewritten, indexing ? IncrementalIndexing : first & NeverIndexed, RepairAuthority(value, huffman, valueLength));
                copied = pos;
                changed = true;
            }

            if (indexing)
            {
                // The client's entry, with the original value: see the remarks.
                table.Add(nameLength, valueLength, isAuthority);
            }
        }

        if (!changed)
        {
            return HeaderBlockOutcome.Unchanged;
        }

        rewritten.Write(block[copied..]);
        return HeaderBlockOutcome.Repaired;
    }

    private static bool IsValidAuthority(ReadOnlySpan<byte> value, bool huffman, int decodedLength)
    {
        if (!huffman)
        {
            return HostAuthority.IsValid(value);
        }

        Span<byte> decoded = decodedLength <= StackValueBytes ? stackalloc byte[StackValueBytes] : new byte[decodedLength];
        return HostAuthority.IsValid(decoded[..HpackHuffman.Decode(value, decoded)]);
    }

    private static byte[] RepairAuthority(ReadOnlySpan<byte> value, bool huffman, int decodedLength)
    {
        if (!huffman)
        {
            return HostAuthority.Repair(value);
        }

        byte[] decoded = new byte[decodedLength];
        HpackHuffman.Decode(value, decoded);
        return HostAuthority.Repair(decoded);
    }

    /// <summary>A field's name: by index (<paramref name="nameIndex"/> above 0) or as a string literal that follows.</summary>
    private bool TryReadName(ReadOnlySpan<byte> block, ref int pos, int nameIndex, out int nameLength, out bool isAuthority)
    {
        if (nameIndex != 0)
        {
            return table.TryGetName(nameIndex, out nameLength, out isAuthority);
        }

        isAuthority = false;
        nameLength = 0;
        if (!TryReadString(block, ref pos, out ReadOnlySpan<byte> name, out bool huffman))
        {
            return false;
        }

        nameLength = huffman ? HpackHuffman.DecodedLength(name) : name.Length;
        if (nameLength < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> authorityName = ":authority"u8;
        if (nameLength == authorityName.Length)
        {
            Span<byte> decoded = stackalloc byte[authorityName.Length];
            isAuthority = (huffman ? decoded[..HpackHuffman.Decode(name, decoded)] : name).SequenceEqual(authorityName);
        }

        return true;
    }

    /// <summary>An HPACK integer with an N-bit prefix (RFC 7541 section 5.1); false when truncated or over int.MaxValue.</summary>
    public static bool TryReadInteger(ReadOnlySpan<byte> block, ref int pos, int prefixBits, out int value)
    {
        int mask = (1 << prefixBits) - 1;
        value = 0;
        if (pos >= block.Length)
        {
            return false;
        }

        long result = block[pos++] & mask;
        if (result == mask)
        {
            for (int shift = 0; ; shift += 7)
            {
                if (pos >= block.Length || shift > 28)
                {
                    return false;
                }

                byte next = block[pos++];
                result += (long)(next & 0x7F) << shift;
                if ((next & 0x80) == 0)
                {
                    break;
                }
            }
        }

        if (result > int.MaxValue)
        {
            return false;
        }

        value = (int)result;
        return true;
    }

    /// <summary>A string literal (RFC 7541 section 5.2), still encoded; false when it runs past the block.</summary>
    private static bool TryReadString(ReadOnlySpan<byte> block, ref int pos, out ReadOnlySpan<byte> encoded, out bool huffman)
    {
        encoded = default;
        huffman = pos < block.Length && (block[pos] & 0x80) != 0;
        if (!TryReadInteger(block, ref pos, 7, out int length) || length > block.Length - pos)
        {
            return false;
        }

        encoded = block.Slice(pos, length);
        pos += length;
        return true;
    }

    /// <summary>
    /// <c>:authority: value</c> as a literal naming static entry 1, the value not Huffman-coded.
    /// <paramref name="kind"/> is the representation's pattern: with incremental indexing (0x40),
    /// without indexing (0x00) or never indexed (0x10), as the client chose.
    /// </summary>
    public static void WriteAuthority(IBufferWriter<byte> output, int kind, ReadOnlySpan<byte> value)
    {
        WriteInteger(output, kind, kind == IncrementalIndexing ? 6 : 4, StaticAuthorityIndex);
        WriteInteger(output, 0, 7, value.Length);
        output.Write(value);
    }

    /// <summary>An HPACK integer with an N-bit prefix, the prefix octet's other bits set from <paramref name="pattern"/>.</summary>
    public static void WriteInteger(IBufferWriter<byte> output, int pattern, int prefixBits, int value)
    {
        Span<byte> encoded = stackalloc byte[6];
        int mask = (1 << prefixBits) - 1;
        int length = 0;
        if (value < mask)
        {
            encoded[length++] = (byte)(pattern | value);
        }
        else
        {
            encoded[length++] = (byte)(pattern | mask);
            value -= mask;
            while (value >= 0x80)
            {
                encoded[length++] = (byte)((value & 0x7F) | 0x80);
                value >>= 7;
            }

            encoded[length++] = (byte)value;
        }

        output.Write(encoded[..length]);
    }
}
