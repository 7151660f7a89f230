using Backbone.Dns.Wire;

namespace Backbone.Dns.Names;

/// <summary>
/// The records one name has for one question type on one network, with a precomputed
/// <see cref="Lookup"/> per rotation, so answering a question allocates nothing: successive
/// calls hand out rotation 0, 1, 2... (one shared atomic counter; under concurrency each call
/// still gets some whole rotation, never a torn one).
/// </summary>
internal sealed class AnswerSet
{
    private readonly Lookup[] rotations;

    /// <summary>How many answers were handed out; only ever incremented atomically.</summary>
    private int handedOut;

    public AnswerSet(DnsRecord[] records, DnsRecord[] additional)
    {
        if (records.Length == 0 && additional.Length != 0)
        {
            throw new InvalidOperationException("an answer set without records cannot carry additional records");
        }

        Records = records;
        Additional = additional;
        rotations = new Lookup[records.Length];
        WireAnswer? wire = records.Length == 0 ? null : WireAnswer.TryEncode(records, additional);
        for (int start = 0; start < records.Length; start++)
        {
            IReadOnlyList<DnsRecord> answers = start == 0 ? records : new RotatedList(records, start);
            rotations[start] = new Lookup(LookupOutcome.Answer, answers, additional) { Wire = wire, Rotation = start };
        }
    }

    /// <summary>In build order; never mutated after construction.</summary>
    public DnsRecord[] Records { get; }

    public DnsRecord[] Additional { get; }

    /// <summary>The next rotation of the records, or <see cref="Lookup.NoData"/> when there are none. Thread-safe.</summary>
    public Lookup Next()
    {
        switch (rotations.Length)
        {
            case 0: return Lookup.NoData;
            case 1: return rotations[0];
            default:
                uint turn = unchecked((uint)(Interlocked.Increment(ref handedOut) - 1));
                return rotations[turn % (uint)rotations.Length];
        }
    }
}
