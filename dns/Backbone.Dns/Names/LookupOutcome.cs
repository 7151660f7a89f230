namespace Backbone.Dns.Names;

/// <summary>What the server does with a question after asking the name table.</summary>
public enum LookupOutcome
{
    /// <summary>NOERROR with <see cref="Lookup.Answers"/> (never empty).</summary>
    Answer,

    /// <summary>NOERROR, no answers: the name is ours but has no record of that type (or nothing healthy behind it). Never forwarded.</summary>
    NoData,

    /// <summary>NXDOMAIN: not ours, and the scope may not forward (every network in it is internal).</summary>
    NxDomain,

    /// <summary>Not ours (or not visible from this scope): ask the upstream resolvers.</summary>
    Forward,
}
