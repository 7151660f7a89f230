namespace Backbone.Overlay.Agent;

/// <summary>Who the agent is and where it keeps its things.</summary>
public sealed record AgentSettings
{
    public required string NodeId { get; init; }

    /// <summary>The node's underlay address (its VXLAN endpoint), copied into its endpoints.</summary>
    public required string NodeAddress { get; init; }

    /// <summary>Every namespace the agent makes starts with it (<c>bb-</c>; tests and the lab give each node its own).</summary>
    public string Prefix { get; init; } = Reconcile.HostNames.DefaultPrefix;

    /// <summary>Task logs, one file per task.</summary>
    public required string LogDirectory { get; init; }

    /// <summary>The VXLAN port between hosts; 0: no tunnels (containers reach only this host).</summary>
    public int DataPathPort { get; init; } = DataPlane.DefaultPort;

    /// <summary>How often the agent reads the store even when no change was reported (a missed event is repaired within this).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(5);
}
