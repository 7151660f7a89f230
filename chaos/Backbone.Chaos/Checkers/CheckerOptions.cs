namespace Backbone.Chaos.Checkers;

/// <summary>
/// Bounds on one <see cref="LinearizabilityChecker.Check"/> call. The search is exponential in the
/// worst case (many concurrent or unknown writes), so every resource it uses has a limit; hitting
/// one yields <see cref="Verdict.Unknown"/>, never a pass.
/// </summary>
public sealed record CheckerOptions
{
    /// <summary>Search steps (one per entry visited) over all keys of the history.</summary>
    public long MaxSteps { get; init; } = 100_000_000;

    /// <summary>
    /// States remembered per key: this bounds memory. Each costs about 80 + ops/8 bytes (a copy of
    /// the bitset plus its set entry), so 1M states of a 2,000-op key take about 330 MB.
    /// </summary>
    public int MaxCacheEntries { get; init; } = 1_000_000;

    /// <summary>Wall-clock limit for the whole check.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Clock for <see cref="Timeout"/>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
