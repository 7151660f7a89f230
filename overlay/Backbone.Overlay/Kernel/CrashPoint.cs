using System.Globalization;
using Backbone.Overlay.Reconcile;

namespace Backbone.Overlay.Kernel;

/// <summary>
/// Fault injection for the crash tests (<see cref="KernelHost.CrashAtStepVariable"/>): the node
/// kills itself just before the <see cref="Step"/>-th kernel change, counted from its start over
/// all changes (<c>7</c>), or over one kind of action only (<c>peers:2</c>: the second batch of
/// FDB or neighbour changes), so a test can aim at one update whatever else the agent does first.
/// </summary>
public sealed record CrashPoint(string? Kind, int Step)
{
    /// <summary>The kinds a crash point may name, as <see cref="KindOf"/> names actions.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["sandbox", "container", "tunnel", "peers"];

    /// <summary>Null for an unset or empty variable; a value that is neither form is refused, so a mistyped test fails loudly.</summary>
    /// <exception cref="FormatException">Not <c>N</c> or <c>KIND:N</c> with N ≥ 1 and a known kind.</exception>
    public static CrashPoint? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        string[] parts = text.Split(':');
        string? kind = parts.Length == 2 ? parts[0] : null;
        if (parts.Length > 2 || (kind is not null && !Kinds.Contains(kind))
            || !int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int step) || step < 1)
        {
            throw new FormatException($"{KernelHost.CrashAtStepVariable}={text}: expected N or KIND:N with N ≥ 1 and KIND one of {string.Join(", ", Kinds)}");
        }

        return new CrashPoint(kind, step);
    }

    public static string KindOf(HostAction action) => action switch
    {
        HostAction.CreateSandbox or HostAction.DeleteSandbox => "sandbox",
        HostAction.CreateContainer or HostAction.DeleteContainer => "container",
        HostAction.CreateTunnel or HostAction.DeleteTunnel => "tunnel",
        HostAction.UpdatePeers => "peers",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "unknown host action"),
    };

    public override string ToString() => Kind is null ? Step.ToString(CultureInfo.InvariantCulture) : $"{Kind}:{Step}";
}
