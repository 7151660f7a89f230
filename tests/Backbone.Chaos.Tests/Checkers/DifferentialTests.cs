using Backbone.Chaos.Checkers;
using Backbone.Chaos.History;
using Xunit.Abstractions;

namespace Backbone.Chaos.Tests.Checkers;

/// <summary>
/// Thousands of tiny random histories (few values, so values repeat; Unknown and Fail outcomes;
/// ties in time) judged by the checker and by <see cref="BruteForceChecker"/>: the verdicts must
/// agree. Random outcomes make both verdicts common, and the test checks that they are.
/// </summary>
public sealed class DifferentialTests(ITestOutputHelper output)
{
    private const int Histories = 3000;
    private const int OpsMax = 7;
    private const int TimeMax = 10;
    private const int DurationMax = 5;
    private static readonly string?[] Values = [null, "a", "b", "c", "d", "e"];
    private static readonly string[] Keys = ["x", "x", "x", "y"];

    // Three values repeat a lot (hard for the search); six leave many unknown writes unobserved,
    // which exercises dropping them.
    [Theory]
    [InlineData(3)]
    [InlineData(6)]
    public void CheckerAgreesWithBruteForceOnTinyHistories(int values)
    {
        int seed = TestSeed.Choose(output, $"{nameof(CheckerAgreesWithBruteForceOnTinyHistories)}({values})");
        var random = new Random(seed);
        var checker = new LinearizabilityChecker();
        int linearizable = 0;
        for (int h = 0; h < Histories; h++)
        {
            KvHistory history = RandomHistory(random, values);
            bool expected = BruteForceChecker.IsLinearizable(history);
            LinearizabilityResult result = checker.Check(history);

            Assert.True(
                result.Verdict == (expected ? Verdict.Linearizable : Verdict.NotLinearizable),
                $"seed {seed} (replay with {TestSeed.Variable}={seed}), history {h}: brute force says "
                + $"{(expected ? "linearizable" : "not linearizable")}, checker says {result.Verdict}\n"
                + string.Join("\n", history.Operations.Select(history.Describe)) + "\n" + result.Explanation);
            linearizable += expected ? 1 : 0;
        }

        output.WriteLine($"{linearizable} of {Histories} histories linearizable");
        Assert.InRange(linearizable, Histories / 10, Histories - (Histories / 10));
    }

    private static KvHistory RandomHistory(Random random, int values)
    {
        int count = random.Next(1, OpsMax + 1);
        var ops = new Operation[count];
        for (int i = 0; i < count; i++)
        {
            long invoke = random.Next(TimeMax);
            long complete = invoke + random.Next(DurationMax + 1);
            KvCall call = RandomCall(random, values);
            ops[i] = new Operation(i, i, invoke, complete, call, RandomOutcome(random, call, values));
        }

        return new KvHistory(ops, ticksPerSecond: 1000);
    }

    private static KvCall RandomCall(Random random, int values)
    {
        string key = Keys[random.Next(Keys.Length)];
        return random.Next(3) switch
        {
            0 => KvCall.Get(key),
            1 => KvCall.Put(key, Pick(random, values)),
            _ => KvCall.CompareAndSet(key, Pick(random, values), Pick(random, values)),
        };
    }

    private static KvOutcome RandomOutcome(Random random, KvCall call, int values)
    {
        int roll = random.Next(100);
        if (roll < 10)
        {
            return KvOutcome.Failed;
        }

        if (roll < 25)
        {
            return KvOutcome.Unknown;
        }

        return call.Kind switch
        {
            OperationKind.Get => KvOutcome.Read(Pick(random, values)),
            OperationKind.Put => KvOutcome.Written,
            _ => KvOutcome.Swapped(random.Next(2) == 0),
        };
    }

    private static string? Pick(Random random, int values) => Values[random.Next(values)];
}
