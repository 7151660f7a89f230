namespace Backbone.Dns.Names;

/// <summary>
/// Which networks a listener sees. A container's listener sees the networks its container is
/// attached to; the host listener (<see cref="All"/>) sees every network.
/// </summary>
/// <param name="NetworkIds">The visible network ids; null for every network.</param>
public sealed record NameScope(IReadOnlySet<string>? NetworkIds)
{
    /// <summary>The host listener's scope: every network, and unknown names are always forwarded.</summary>
    public static NameScope All { get; } = new((IReadOnlySet<string>?)null);

    public bool IsAll => NetworkIds is null;

    public static NameScope Of(params string[] networkIds) => new(new HashSet<string>(networkIds, StringComparer.Ordinal));

    /// <summary>Whether names on this network are visible.</summary>
    public bool Sees(string networkId) => NetworkIds is null || NetworkIds.Contains(networkId);
}
