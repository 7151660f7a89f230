using System.Net;

namespace Backbone.Dns.Forwarding;

/// <summary>Where and how the names the table does not know are forwarded.</summary>
public sealed record ForwarderOptions
{
    public required IReadOnlyList<IPEndPoint> Upstreams { get; init; }

    /// <summary>How long one try waits for any upstream (they are all asked at once).</summary>
    public TimeSpan TryTimeout { get; init; } = TimeSpan.FromMilliseconds(1500);

    public int Tries { get; init; } = 2;

    /// <summary>Forwards running at once; as many more may wait; beyond that, SERVFAIL at once.</summary>
    public int MaxInFlight { get; init; } = 512;
}
