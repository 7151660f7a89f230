using Backbone.Control.Endpoints;

namespace Backbone.Dns.Names;

/// <summary>An endpoint with its address parsed: canonical dotted text and reverse name.</summary>
internal sealed record Located(EndpointRecord Endpoint, string Address, string Reverse)
{
    /// <summary>The endpoint with its address parsed, or null when the address is not dotted IPv4 (its names stay known, with no records).</summary>
    public static Located? Of(EndpointRecord endpoint) =>
        DnsNames.TryIpv4(endpoint.Address, out string address, out string reverse) ? new Located(endpoint, address, reverse) : null;
}
