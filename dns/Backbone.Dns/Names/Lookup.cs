using Backbone.Dns.Wire;

namespace Backbone.Dns.Names;

/// <summary>
/// The name table's answer to one question. Instances may be shared between calls and threads:
/// treat them and their lists as read-only (the lists are arrays or read-only views).
/// </summary>
/// <param name="Outcome">What to do; <paramref name="Answers"/> is non-empty exactly when it is <see cref="LookupOutcome.Answer"/>.</param>
/// <param name="Answers">The answer section, already rotated for balance.</param>
/// <param name="Additional">The additional section: the A records of SRV targets; empty otherwise.</param>
public sealed record Lookup(LookupOutcome Outcome, IReadOnlyList<DnsRecord> Answers, IReadOnlyList<DnsRecord> Additional)
{
    /// <summary>The answer already in wire form (null for outcomes without records, and for answers merged from several networks).</summary>
    internal WireAnswer? Wire { get; init; }

    /// <summary>Which rotation of <see cref="Wire"/> this answer is: the index of its first record.</summary>
    internal int Rotation { get; init; }

    public static Lookup NoData { get; } = new(LookupOutcome.NoData, [], []);

    public static Lookup NxDomain { get; } = new(LookupOutcome.NxDomain, [], []);

    public static Lookup Forward { get; } = new(LookupOutcome.Forward, [], []);
}
