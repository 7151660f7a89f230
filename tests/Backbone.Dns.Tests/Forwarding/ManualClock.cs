namespace Backbone.Dns.Tests.Forwarding;

/// <summary>A clock that moves only when the test says so (the answer cache's TTLs read it).</summary>
internal sealed class ManualClock : TimeProvider
{
    private long ticks = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}
