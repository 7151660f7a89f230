namespace Backbone.Chaos.Tests.Workload;

/// <summary>Per mille shares of the random workload: calls by kind (the rest are CAS) and request fates.</summary>
internal sealed record WorkloadMix
{
    /// <summary>Gets, puts and swaps, with a few refusals and timeouts.</summary>
    public static WorkloadMix Standard { get; } = new();

    /// <summary>No CAS and many timeouts: the shape that partitions give a put/get workload.</summary>
    public static WorkloadMix PutGetWithTimeouts { get; } = new() { GetPerMille = 500, PutPerMille = 500, LostPerMille = 150 };

    public int GetPerMille { get; init; } = 450;

    public int PutPerMille { get; init; } = 300;

    public int RefusedPerMille { get; init; } = 20;

    public int LostPerMille { get; init; } = 30;
}
