using System.Diagnostics;
using Backbone.Core.Metrics;
using Makaretu.Dns;

namespace Backbone.Dns.Server;

/// <summary>
/// What the server's listeners did: packets read, dropped, and responses by rcode with their
/// latency. Called per query from every listener's threads at once, so every method is one or
/// two interlocked operations: no lock, no allocation.
/// </summary>
public sealed class DnsCounters
{
    /// <summary>The header's rcode is four bits: one counter for each value.</summary>
    private readonly long[] byRcode = new long[16];
    private long queries;
    private long dropped;

    public long Queries => Interlocked.Read(ref queries);

    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>
    /// From a query's arrival to its response being handed to the socket, for the responses whose
    /// listener said when the query arrived (<see cref="Answer(ReadOnlySpan{byte}, long)"/>).
    /// </summary>
    public DurationHistogram ResponseTime { get; } = new();

    public long Answered(MessageStatus status) => Answered((int)status);

    /// <summary>Responses sent with rcode <paramref name="rcode"/> (its low four bits).</summary>
    public long Answered(int rcode) => Interlocked.Read(ref byRcode[rcode & 0xf]);

    /// <summary>A packet was read (before it is parsed: malformed ones count).</summary>
    public void Query() => Interlocked.Increment(ref queries);

    /// <summary>A packet got no response at all (too short to carry an id to answer).</summary>
    public void Drop() => Interlocked.Increment(ref dropped);

    /// <summary>Counts a response by its rcode, with no latency (the arrival time is unknown).</summary>
    public void Answer(byte[] response) => Answer(response, receivedTimestamp: 0);

    /// <summary>
    /// Counts a response by its rcode (the low four bits of its fourth byte) and, when
    /// <paramref name="receivedTimestamp"/> is not 0, observes the time since then in
    /// <see cref="ResponseTime"/>. The caller takes <paramref name="receivedTimestamp"/> with
    /// <see cref="Stopwatch.GetTimestamp"/> as the query arrives and calls this as it sends;
    /// <paramref name="response"/> is only read, during the call.
    /// </summary>
    public void Answer(ReadOnlySpan<byte> response, long receivedTimestamp)
    {
        if (response.Length < 4)
        {
            return; // not a response: neither counted nor timed, so the histogram's count never exceeds the responses'
        }

        Interlocked.Increment(ref byRcode[response[3] & 0xf]);
        if (receivedTimestamp != 0)
        {
            ResponseTime.ObserveStopwatchTicks(Stopwatch.GetTimestamp() - receivedTimestamp);
        }
    }
}
