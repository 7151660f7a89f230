using Backbone.Overlay.Kernel;
using Backbone.Overlay.Reconcile;

namespace Backbone.Overlay.Tests.Kernel;

/// <summary>The crash tests' aim (BACKBONE_AGENT_CRASH_AT_STEP): read exactly, and refused loudly when mistyped.</summary>
public sealed class CrashPointTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("7", "7")]
    [InlineData("peers:2", "peers:2")]
    [InlineData("tunnel:1", "tunnel:1")]
    public void ReadsBothForms(string? text, string? expected) => Assert.Equal(expected, CrashPoint.Parse(text)?.ToString());

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("peer:2")]
    [InlineData("peers:")]
    [InlineData("peers:2:3")]
    [InlineData("two")]
    public void RefusesAnythingElseNamingTheForms(string text)
    {
        FormatException e = Assert.Throws<FormatException>(() => CrashPoint.Parse(text));
        Assert.Equal($"BACKBONE_AGENT_CRASH_AT_STEP={text}: expected N or KIND:N with N ≥ 1 and KIND one of sandbox, container, tunnel, peers", e.Message);
    }

    [Fact]
    public void EveryActionHasAKindACrashPointCanName()
    {
        var tunnel = new TunnelSpec("sb", 4096, "192.0.2.1", 4789, 1450);
        HostAction[] actions =
        [
            new HostAction.CreateSandbox(new SandboxSpec("sb", 4096, "10.0.0.1/24", 1450)),
            new HostAction.DeleteSandbox("sb"),
            new HostAction.CreateContainer(new ContainerSpec("c", [], null)),
            new HostAction.DeleteContainer(new ContainerSpec("c", [], null)),
            new HostAction.CreateTunnel(tunnel),
            new HostAction.DeleteTunnel("sb"),
            new HostAction.UpdatePeers("sb", [], []),
        ];
        Assert.Equal(["sandbox", "sandbox", "container", "container", "tunnel", "tunnel", "peers"], actions.Select(CrashPoint.KindOf));
        Assert.All(actions.Select(CrashPoint.KindOf), k => Assert.Contains(k, CrashPoint.Kinds));
    }
}
