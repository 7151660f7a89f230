using System.Collections.Concurrent;

namespace Backbone.Dns.Tests.Server;

/// <summary>What one fuzz run sent and got back; TCP counters are shared by concurrent connections (interlocked).</summary>
internal sealed class FuzzRun(int seed)
{
    public int TcpConnections;
    public int TcpReplies;

    public int Seed { get; } = seed;

    public int Packets { get; set; }

    public int UdpSent { get; set; }

    public int UdpReplies { get; set; }

    /// <summary>Everything that broke a rule, to report together with the seed.</summary>
    public ConcurrentBag<string> Violations { get; } = [];
}
