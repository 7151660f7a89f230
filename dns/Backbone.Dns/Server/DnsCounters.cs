using Makaretu.Dns;

namespace Backbone.Dns.Server;

/// <summary>What the server did, counted across its listeners (for logs now, Prometheus next).</summary>
public sealed class DnsCounters
{
    private readonly long[] byStatus = new long[16];
    private long queries;
    private long dropped;

    public long Queries => Interlocked.Read(ref queries);

    public long Dropped => Interlocked.Read(ref dropped);

    public long Answered(MessageStatus status) => Interlocked.Read(ref byStatus[(int)status & 0xf]);

    public void Query() => Interlocked.Increment(ref queries);

    public void Drop() => Interlocked.Increment(ref dropped);

    /// <summary>Counts a response by its rcode (the low four bits of its fourth byte).</summary>
    public void Answer(ReadOnlySpan<byte> response)
    {
        if (response.Length >= 4)
        {
            Interlocked.Increment(ref byStatus[response[3] & 0xf]);
        }
    }
}
