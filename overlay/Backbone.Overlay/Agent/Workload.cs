using Backbone.Control.Scheduling;

namespace Backbone.Overlay.Agent;

/// <summary>
/// Something this host should run in a container of its own: a service's task, or a standalone
/// container (no service, slot 0). Its addresses were allocated before it got here.
/// </summary>
public sealed record Workload(string Id, string Name, string ServiceId, string ServiceName, int Slot, IReadOnlyList<TaskAttachment> Networks,
    ContainerNaming Container, IReadOnlyList<string> Command, string RestartCondition)
{
    public bool IsTask => ServiceId.Length > 0;
}

/// <summary>The names a container is known by on this host: its namespace and its resolv.conf directory.</summary>
public sealed record ContainerNaming(string Namespace)
{
    /// <summary>Where `ip netns exec` (and our exec) finds the files that replace /etc's inside the namespace.</summary>
    public string EtcDirectory => Path.Combine("/etc/netns", Namespace);

    public string ResolvConf => Path.Combine(EtcDirectory, "resolv.conf");
}
