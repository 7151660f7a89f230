using Backbone.Control.Scheduling;

namespace Backbone.Overlay.Agent;

/// <summary>A task this host should run: its record, the namespace to run it in, and how to run it.</summary>
public sealed record Workload(TaskRecord Task, ContainerNaming Container, IReadOnlyList<string> Command, string RestartCondition);

/// <summary>The names a container is known by on this host: its namespace and its resolv.conf directory.</summary>
public sealed record ContainerNaming(string Namespace)
{
    /// <summary>Where `ip netns exec` (and our exec) finds the files that replace /etc's inside the namespace.</summary>
    public string EtcDirectory => Path.Combine("/etc/netns", Namespace);

    public string ResolvConf => Path.Combine(EtcDirectory, "resolv.conf");
}
