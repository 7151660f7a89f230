namespace Backbone.Control.Services;

/// <summary>What `backbone service create` asks for, before any check.</summary>
public sealed record ServiceSpec
{
    public required string Name { get; init; }
    public int Replicas { get; init; } = 1;

    /// <summary>Network names or ids.</summary>
    public IReadOnlyList<string> Networks { get; init; } = [];
    public string EndpointMode { get; init; } = "vip";

    /// <summary>Network aliases, on every network of the service.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>--publish values, unparsed.</summary>
    public IReadOnlyList<string> Publish { get; init; } = [];
    public string RestartCondition { get; init; } = "any";
    public IReadOnlyList<string> Command { get; init; } = [];
    public IReadOnlyList<string> Constraints { get; init; } = [];
}
