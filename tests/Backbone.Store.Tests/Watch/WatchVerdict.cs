using Xunit.Abstractions;

namespace Backbone.Store.Tests.Watch;

/// <summary>Gathers every problem of a run (history, strays, each watch's violations) and fails the test with the seed when there is any.</summary>
internal static class WatchVerdict
{
    private const int MaxReported = 40;

    public static List<string> Collect(HistoryRecorder recorder, IEnumerable<WatchClient> clients, IEnumerable<WatchObservation> observations, WatchHistoryChecker checker)
    {
        List<string> problems = [.. recorder.Problems.Select(p => $"history: {p}")];
        problems.AddRange(clients.SelectMany(c => c.Strays).Select(s => $"stray: {s}"));
        foreach (WatchObservation observation in observations)
        {
            problems.AddRange(checker.Check(observation));
        }

        return problems;
    }

    public static void AssertNone(ITestOutputHelper output, int seed, List<string> problems)
    {
        foreach (string problem in problems.Take(MaxReported))
        {
            output.WriteLine(problem);
        }

        Assert.True(
            problems.Count == 0,
            $"{problems.Count} watch guarantee violations (replay with {TestSeed.Variable}={seed}):\n{string.Join("\n", problems.Take(MaxReported))}");
    }

    public static void Summarize(ITestOutputHelper output, IReadOnlyList<CommittedRevision> history, IReadOnlyList<WatchObservation> observations)
    {
        output.WriteLine(
            $"{history.Count} revisions, {history.Sum(r => r.Events.Count)} events; {observations.Count} watches "
            + $"({observations.Count(o => o.IsCanceled)} canceled, {observations.Count(o => o.IsCanceled && o.Messages[^1].CompactRevision > 0)} compacted), "
            + $"{observations.Sum(o => o.EventCount)} events and {observations.Sum(o => o.Messages.Count)} messages delivered");
    }
}
