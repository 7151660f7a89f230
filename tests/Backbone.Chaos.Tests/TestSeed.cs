using Xunit.Abstractions;

namespace Backbone.Chaos.Tests;

/// <summary>
/// The seed of a randomized test: <see cref="Variable"/> when set (to replay a failure), else a
/// fresh one; always printed first. A replay repeats every random choice; thread interleavings
/// still differ from run to run. (Same convention as Backbone.Store.Tests.)
/// </summary>
internal static class TestSeed
{
    public const string Variable = "BACKBONE_TEST_SEED";

    public static int Choose(ITestOutputHelper output, string test)
    {
        string? text = Environment.GetEnvironmentVariable(Variable);
        int seed = int.TryParse(text, out int given) ? given : Random.Shared.Next();
        output.WriteLine($"{test}: seed {seed} (replay with {Variable}={seed})");
        return seed;
    }

    /// <summary>
    /// An independent, reproducible seed for one stream of a run (a client, its jitter). Not
    /// <see cref="HashCode.Combine{T1, T2}"/>: that is salted per process, so a replay would differ.
    /// </summary>
    public static int Derive(int seed, int stream) => unchecked((seed * 1_000_003) + stream);
}
