using Backbone.Overlay.Reconcile;

namespace Backbone.Overlay.Agent;

/// <summary>The kernel as the agent sees it: what exists under its prefix, and the one way to change it.</summary>
public interface IHost
{
    HostState Observe(string prefix);

    void Apply(HostAction action);

    /// <summary>Removes what a crash can leave outside <see cref="Observe"/>'s view (files beside namespaces).</summary>
    void SweepOrphans(string prefix);
}
