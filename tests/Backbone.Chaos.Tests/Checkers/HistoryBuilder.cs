using Backbone.Chaos.History;

namespace Backbone.Chaos.Tests.Checkers;

/// <summary>
/// Hand-written histories for the checker tests. Times are in ms (the history's clock runs at
/// 1000 ticks per second), so a test reads like the timeline it describes.
/// </summary>
internal sealed class HistoryBuilder
{
    private const string Key = "k";
    private readonly List<Operation> ops = [];

    public HistoryBuilder Get(int client, long fromMs, long toMs, string? read, string key = Key) =>
        Add(client, fromMs, toMs, KvCall.Get(key), KvOutcome.Read(read));

    public HistoryBuilder Put(int client, long fromMs, long toMs, string? value, string key = Key) =>
        Add(client, fromMs, toMs, KvCall.Put(key, value), KvOutcome.Written);

    public HistoryBuilder Cas(int client, long fromMs, long toMs, string? expected, string? value, bool swapped, string key = Key) =>
        Add(client, fromMs, toMs, KvCall.CompareAndSet(key, expected, value), KvOutcome.Swapped(swapped));

    public HistoryBuilder Add(int client, long fromMs, long toMs, KvCall call, KvOutcome outcome)
    {
        ops.Add(new Operation(ops.Count, client, fromMs, toMs, call, outcome));
        return this;
    }

    public KvHistory Build() => new(ops, ticksPerSecond: 1000);
}
