using System.Globalization;
using Backbone.Control.Networks;

namespace Backbone.Cli.Lab;

/// <summary>What one lab host is: its namespace, underlay address, role and where its node keeps its data.</summary>
/// <param name="Index">1-based.</param>
/// <param name="Role">"init" (the first manager, which creates the cluster), "manager" or "worker".</param>
/// <param name="AgentPrefix">The prefix of the namespaces its agent makes: distinct per host, since every host shares /var/run/netns.</param>
internal sealed record LabHost(int Index, string Name, string Namespace, string Address, string Role, string AgentPrefix, string DataDir)
{
    public string ClientEndpoint => $"{Address}:2379";

    public string PeerEndpoint => $"{Address}:2377";
}

/// <summary>
/// The lab's layout, derived from a prefix, a /24 subnet and a host count, so `lab up` and
/// `lab down` (and tests) name the same objects. The hosts are namespaces <c>PREFIXhost-N</c>, each
/// with <c>eth0</c> at <c>.N</c>, joined by a bridge inside a switch namespace <c>PREFIXlab</c>;
/// this (root) namespace reaches them through one veth <c>PREFIXlab</c> at <c>.254</c>, so the
/// CLI can talk to the nodes. Nothing else of the lab lands here.
/// </summary>
internal sealed record LabPlan(string Prefix, Ipv4Cidr Subnet, IReadOnlyList<LabHost> Hosts, string StateDir)
{
    /// <summary>The first three hosts are managers (a quorum survives one failure), the rest workers, as swarm advises.</summary>
    public const int Managers = 3;

    public const int MaxHosts = 200;

    public const string DefaultPrefix = "bb-";
    public const string DefaultSubnet = "172.31.213.0/24";

    /// <summary>The switch namespace, holding the underlay bridge.</summary>
    public string SwitchNamespace => Prefix + "lab";

    /// <summary>The bridge inside the switch namespace.</summary>
    public const string SwitchBridge = "br0";

    /// <summary>This namespace's end of the link to the switch (link names are at most 15 characters).</summary>
    public string GatewayLink => Prefix + "lab";

    public string GatewayAddress => Ipv4Cidr.FormatAddress(Subnet.Network + 254);

    /// <summary>The record of a lab that is up: what `lab down` reads.</summary>
    public string StateFile => Path.Combine(StateDir, "lab.json");

    /// <summary>
    /// The plan for <paramref name="hosts"/> hosts, or the reason it cannot be: a prefix that
    /// would make link names too long, a subnet that is not a /24, a host count out of range.
    /// </summary>
    public static LabPlan Create(string prefix, string subnet, int hosts, string stateDir)
    {
        if (prefix.Length is 0 or > 8 || !prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new ArgumentException($"--prefix \"{prefix}\": use 1 to 8 characters of a-z, 0-9 and '-' (link names are at most 15 characters), e.g. --prefix bb-");
        }

        if (!Ipv4Cidr.TryParse(subnet, out Ipv4Cidr? parsed, out string? error) || parsed.Value.PrefixLength != 24)
        {
            throw new ArgumentException($"--subnet \"{subnet}\": {error ?? "must be a /24"}, e.g. --subnet {DefaultSubnet} (a private range no other network of this machine uses)");
        }

        if (hosts is < 1 or > MaxHosts)
        {
            throw new ArgumentException($"--hosts {hosts}: give 1 to {MaxHosts}");
        }

        var list = new List<LabHost>();
        for (int i = 1; i <= hosts; i++)
        {
            string index = i.ToString(CultureInfo.InvariantCulture);
            string role = i == 1 ? "init" : i <= Managers ? "manager" : "worker";
            list.Add(new LabHost(i, $"host-{index}", $"{prefix}host-{index}", Ipv4Cidr.FormatAddress(parsed.Value.Network + (uint)i), role, $"{prefix}h{index}-", Path.Combine(stateDir, $"host-{index}")));
        }

        return new LabPlan(prefix, parsed.Value, list, stateDir);
    }

    /// <summary>The switch's end of host <paramref name="host"/>'s link.</summary>
    public static string SwitchPort(LabHost host) => $"h{host.Index.ToString(CultureInfo.InvariantCulture)}";
}
