using System.Text.RegularExpressions;

namespace Backbone.Control.Services;

/// <summary>The checks on a <see cref="ServiceSpec"/> that need no store: each refusal says what a valid value looks like.</summary>
public static partial class ServicePlanner
{
    public const int MaxReplicas = 10_000;

    public static void Check(ServiceSpec spec)
    {
        if (!DnsName().IsMatch(spec.Name))
        {
            throw Invalid($"\"{spec.Name}\" is not a valid service name: use 1-63 letters, digits or '-', starting with a letter or digit (it becomes a DNS name)");
        }

        CheckReplicas(spec.Replicas);
        if (spec.EndpointMode is not ("vip" or "dnsrr"))
        {
            throw Invalid($"--endpoint-mode \"{spec.EndpointMode}\": use vip (one virtual IP per network) or dnsrr (the tasks' addresses)");
        }

        if (spec.RestartCondition is not ("any" or "on-failure" or "none"))
        {
            throw Invalid($"--restart-condition \"{spec.RestartCondition}\": use any, on-failure or none");
        }

        if (spec.Command.Count == 0 || spec.Command[0].Length == 0)
        {
            throw Invalid("no command: give it after --, e.g. backbone service create --name web -- backbone echo-server --port 8080");
        }

        if (spec.Aliases.FirstOrDefault(a => !DnsName().IsMatch(a)) is { } alias)
        {
            throw Invalid($"--alias \"{alias}\" is not a valid DNS name: use 1-63 letters, digits or '-'");
        }

        if (spec.Constraints.FirstOrDefault(c => !Constraint().IsMatch(c)) is { } constraint)
        {
            throw Invalid($"--constraint \"{constraint}\": only node.name==NAME and node.name!=NAME are supported");
        }

        if (spec.Networks.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw Invalid($"--network {twice.Key} is given twice");
        }
    }

    public static void CheckUpdate(ServiceUpdate update)
    {
        if (update.Replicas is { } replicas)
        {
            CheckReplicas(replicas);
        }

        if (update.RestartCondition is { } restart && restart is not ("any" or "on-failure" or "none"))
        {
            throw Invalid($"--restart-condition \"{restart}\": use any, on-failure or none");
        }

        if (update.Command is { } command && (command.Count == 0 || command[0].Length == 0))
        {
            throw Invalid("an empty command: give the new one after --, or nothing to keep the current one");
        }

        if (update.AddConstraints.FirstOrDefault(c => !Constraint().IsMatch(c)) is { } constraint)
        {
            throw Invalid($"--constraint-add \"{constraint}\": only node.name==NAME and node.name!=NAME are supported");
        }
    }

    public static void CheckReplicas(int replicas)
    {
        if (replicas is < 0 or > MaxReplicas)
        {
            throw Invalid($"--replicas {replicas} is out of range: use 0-{MaxReplicas}");
        }
    }

    /// <summary>Whether <paramref name="name"/> can be a DNS label (service, container and alias names become names the DNS server answers).</summary>
    public static bool IsDnsName(string name) => DnsName().IsMatch(name);

    private static ControlException Invalid(string message) => new(ControlError.InvalidArgument, message);

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$")]
    private static partial Regex DnsName();

    [GeneratedRegex("^node\\.name(==|!=)[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex Constraint();
}
