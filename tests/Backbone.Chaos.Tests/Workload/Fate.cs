namespace Backbone.Chaos.Tests.Workload;

/// <summary>What the simulated network does to one request.</summary>
internal enum Fate
{
    /// <summary>Applied once; the client gets the answer.</summary>
    Answered,

    /// <summary>Refused before it reached the store: not applied, reported Fail.</summary>
    Refused,

    /// <summary>Applied, but the answer is lost: reported Unknown.</summary>
    LostAfterApply,

    /// <summary>Lost before it reached the store: not applied, reported Unknown.</summary>
    LostBeforeApply,
}
