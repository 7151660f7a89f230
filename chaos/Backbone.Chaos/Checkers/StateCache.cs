namespace Backbone.Chaos.Checkers;

/// <summary>
/// Lowe's memoization: the (linearized set, register value) configurations the search has already
/// entered. Reaching one again means the same remaining ops from the same state, a subtree that is
/// being or was already explored without success, so the search prunes it.
/// </summary>
internal sealed class StateCache
{
    private readonly HashSet<Configuration> seen = new(ConfigurationComparer.Instance);

    public int Count => seen.Count;

    /// <summary>Adds the configuration unless present; true when it is new. Copies the words only when it is.</summary>
    public bool TryAdd(LinearizedSet linearized, int state)
    {
        ulong hash = linearized.Hash ^ (((ulong)(uint)state + 1) * 0x9E3779B97F4A7C15UL);

        // Probe with the live words (no allocation); keep a private copy only for a new entry.
        var probe = new Configuration(null, state, hash, linearized);
        if (seen.Contains(probe))
        {
            return false;
        }

        seen.Add(new Configuration(linearized.Words.ToArray(), state, hash, null));
        return true;
    }

    public void Clear() => seen.Clear();

    /// <summary>A stored entry owns <c>Copy</c>; a probe borrows <c>Live</c>. Exactly one is set.</summary>
    private readonly record struct Configuration(ulong[]? Copy, int State, ulong Hash, LinearizedSet? Live)
    {
        public ReadOnlySpan<ulong> Words => Copy is not null ? Copy : Live!.Words;
    }

    private sealed class ConfigurationComparer : IEqualityComparer<Configuration>
    {
        public static readonly ConfigurationComparer Instance = new();

        public bool Equals(Configuration x, Configuration y) =>
            x.Hash == y.Hash && x.State == y.State && x.Words.SequenceEqual(y.Words);

        public int GetHashCode(Configuration c) => (int)(c.Hash ^ (c.Hash >> 32));
    }
}
