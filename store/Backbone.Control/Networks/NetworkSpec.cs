namespace Backbone.Control.Networks;

/// <summary>What `backbone network create` asks for, before any check; empty strings mean "not given".</summary>
public sealed record NetworkSpec
{
    public required string Name { get; init; }
    public string Driver { get; init; } = "overlay";
    public string Subnet { get; init; } = "";
    public string Gateway { get; init; } = "";
    public string IpRange { get; init; } = "";

    /// <summary>0: the default for the driver (1450 on a 1500-byte underlay, 1424 when encrypted).</summary>
    public int Mtu { get; init; }
    public bool Encrypted { get; init; }
    public bool Attachable { get; init; }
    public bool Internal { get; init; }
}
