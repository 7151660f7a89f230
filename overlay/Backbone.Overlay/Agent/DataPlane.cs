namespace Backbone.Overlay.Agent;

/// <summary>
/// How this host's containers reach other hosts: VXLAN from <see cref="LocalAddress"/> (the
/// node's underlay address) to UDP <see cref="Port"/> on the others (the same on every host,
/// 4789 unless --data-path-port says otherwise).
/// </summary>
public sealed record DataPlane(string LocalAddress, int Port)
{
    public const int DefaultPort = 4789;
}
