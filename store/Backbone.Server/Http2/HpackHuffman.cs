namespace Backbone.Server.Http2;

/// <summary>
/// Decodes HPACK's Huffman-coded string literals (RFC 7541 section 5.2 and appendix B). The code
/// is canonical: the bit length of each of the 257 symbols (256 octets and EOS) determines every
/// code, so only the lengths are written here and the codes are rebuilt once at start.
/// </summary>
/// <remarks>
/// Bit by bit and allocation-free: it runs on the few literals of a connection's first request,
/// and on every literal only of the rare connections whose :authority is repaired.
/// </remarks>
public static class HpackHuffman
{
    private const int MaxCodeBits = 30;
    private const int EndOfString = 256;

    /// <summary>Code length in bits of each symbol, RFC 7541 appendix B, symbol 0 first.</summary>
    private static readonly byte[] CodeLengths =
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ];

    /// <summary>Symbols ordered by (code length, symbol): the canonical order of their codes.</summary>
    private static readonly short[] Symbols;

    /// <summary>Per bit length: the first code of that length, how many codes have it, and where they start in <see cref="Symbols"/>.</summary>
    private static readonly uint[] FirstCode = new uint[MaxCodeBits + 1];
    private static readonly int[] CodeCount = new int[MaxCodeBits + 1];
    private static readonly int[] SymbolOffset = new int[MaxCodeBits + 1];

    static HpackHuffman()
    {
        Symbols = new short[CodeLengths.Length];
        for (short s = 0; s < Symbols.Length; s++)
        {
            Symbols[s] = s;
        }

        Array.Sort(Symbols, (a, b) => CodeLengths[a] != CodeLengths[b] ? CodeLengths[a].CompareTo(CodeLengths[b]) : a.CompareTo(b));
        uint code = 0;
        int previousLength = CodeLengths[Symbols[0]];
        for (int i = 0; i < Symbols.Length; i++)
        {
            int length = CodeLengths[Symbols[i]];
            if (i > 0)
            {
                code = (code + 1) << (length - previousLength);
            }

            if (CodeCount[length]++ == 0)
            {
                FirstCode[length] = code;
                SymbolOffset[length] = i;
            }

            previousLength = length;
        }
    }

    /// <summary>
    /// Decodes <paramref name="encoded"/> into <paramref name="decoded"/> and returns how many
    /// octets it holds, or -1 when the input is not a valid Huffman string (EOS inside it, padding
    /// longer than 7 bits or not all ones) or does not fit. An empty destination counts octets only.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> encoded, Span<byte> decoded, bool countOnly = false)
    {
        int written = 0;
        uint code = 0;
        int bits = 0;
        foreach (byte octet in encoded)
        {
            for (int shift = 7; shift >= 0; shift--)
            {
                code = (code << 1) | (uint)((octet >> shift) & 1);
                bits++;
                if (bits > MaxCodeBits)
                {
                    return -1;
                }

                uint rank = code - FirstCode[bits];
                if (CodeCount[bits] == 0 || rank >= (uint)CodeCount[bits])
                {
                    continue;
                }

                int symbol = Symbols[SymbolOffset[bits] + (int)rank];
                if (symbol == EndOfString)
                {
                    return -1;
                }

                if (!countOnly)
                {
                    if (written == decoded.Length)
                    {
                        return -1;
                    }

                    decoded[written] = (byte)symbol;
                }

                written++;
                code = 0;
                bits = 0;
            }
        }

        // What is left must be a prefix of EOS (all ones) shorter than an octet.
        return bits <= 7 && code == (1u << bits) - 1 ? written : -1;
    }

    /// <summary>The decoded length of <paramref name="encoded"/>, or -1 when it is not a valid Huffman string.</summary>
    public static int DecodedLength(ReadOnlySpan<byte> encoded) => Decode(encoded, [], countOnly: true);
}
