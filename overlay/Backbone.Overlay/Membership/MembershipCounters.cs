namespace Backbone.Overlay.Membership;

/// <summary>
/// The detector's counters, for metrics and tests. Written by the detector's loops with
/// interlocked adds, read from any thread; each value only grows.
/// </summary>
public sealed class MembershipCounters
{
    private readonly long[] values = new long[Enum.GetValues<MembershipCounter>().Length];

    /// <summary>The current value of <paramref name="counter"/>.</summary>
    public long this[MembershipCounter counter] => Volatile.Read(ref values[(int)counter]);

    internal void Increment(MembershipCounter counter) => Interlocked.Increment(ref values[(int)counter]);

    /// <summary>Every counter by name, for logs and test failure messages.</summary>
    public override string ToString() =>
        string.Join(", ", Enum.GetValues<MembershipCounter>().Where(c => this[c] != 0).Select(c => $"{c}={this[c]}"));
}
