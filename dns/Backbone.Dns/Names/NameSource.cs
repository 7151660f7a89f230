using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Services;

namespace Backbone.Dns.Names;

/// <summary>
/// A snapshot of the store records a name table is built from: the watch feed keeps them and
/// hands a consistent set (one revision) to <see cref="NameTable.Build"/>.
/// </summary>
/// <param name="Networks">Every network; endpoints and service attachments on a network missing here are ignored.</param>
/// <param name="Services">Every service.</param>
/// <param name="Endpoints">Every endpoint (task or standalone container on one network), running or not.</param>
/// <param name="DownNodes">Node ids known to be down: their endpoints are never returned.</param>
public sealed record NameSource(
    IReadOnlyList<NetworkRecord> Networks,
    IReadOnlyList<ServiceRecord> Services,
    IReadOnlyList<EndpointRecord> Endpoints,
    IReadOnlySet<string> DownNodes)
{
    public static NameSource Empty { get; } = new([], [], [], new HashSet<string>(StringComparer.Ordinal));
}
