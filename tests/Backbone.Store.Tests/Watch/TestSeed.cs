using Xunit.Abstractions;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// The seed of a randomized test: <see cref="Variable"/> when set (to replay a failure), else a
/// fresh one; always printed first. A replay repeats every random choice; thread interleavings
/// still differ from run to run.
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
}
