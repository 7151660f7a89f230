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

/// <summary>What `backbone service update` asks to change; null (or empty) leaves it as it is.</summary>
public sealed record ServiceUpdate
{
    public int? Replicas { get; init; }
    public string? RestartCondition { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<string> AddConstraints { get; init; } = [];
    public IReadOnlyList<string> RemoveConstraints { get; init; } = [];

    /// <summary>Replace the tasks even though nothing about how they run changed (as `docker service update --force`).</summary>
    public bool Force { get; init; }
}
