namespace Backbone.Chaos.Checkers;

/// <summary>
/// The set of one key's ops linearized so far, as a bitset, with a hash kept up to date in O(1)
/// per change (Zobrist hashing: XOR of a fixed pseudo-random word per member). The search changes
/// one bit per step and hashes after every change, so rehashing all the words would dominate.
/// </summary>
internal sealed class LinearizedSet
{
    private readonly ulong[] words;
    private readonly ulong[] zobrist;

    public LinearizedSet(int count)
    {
        words = new ulong[(count + 63) / 64];
        zobrist = new ulong[count];
        ulong seed = 0;
        for (int i = 0; i < count; i++)
        {
            zobrist[i] = SplitMix64(ref seed);
        }
    }

    /// <summary>The live words; <see cref="StateCache"/> copies them before keeping them.</summary>
    public ReadOnlySpan<ulong> Words => words;

    public ulong Hash { get; private set; }

    public void Add(int op)
    {
        words[op >> 6] |= 1UL << (op & 63);
        Hash ^= zobrist[op];
    }

    public void Remove(int op)
    {
        words[op >> 6] &= ~(1UL << (op & 63));
        Hash ^= zobrist[op];
    }

    /// <summary>A fixed sequence (Steele et al.'s SplitMix64): deterministic runs, well-spread bits.</summary>
    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
