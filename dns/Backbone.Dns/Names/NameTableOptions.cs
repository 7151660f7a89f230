namespace Backbone.Dns.Names;

/// <summary>How the name table builds its records.</summary>
public sealed record NameTableOptions
{
    /// <summary>
    /// Seconds, on every record. Low on purpose: Docker's 600 s lets clients cache a dead task's
    /// address for ten minutes.
    /// </summary>
    public uint Ttl { get; init; } = 5;
}
