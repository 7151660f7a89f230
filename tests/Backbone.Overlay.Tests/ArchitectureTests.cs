using System.Reflection;
using Backbone.Overlay.Reconcile;

namespace Backbone.Overlay.Tests;

/// <summary>ARCHITECTURE.md's rule: overlay/ reaches the store only through the wire API, never the engine or the server.</summary>
public sealed class ArchitectureTests
{
    private static readonly string[] Forbidden = ["Backbone.Store", "Backbone.Server", "DotNext", "FASTER", "Microsoft.AspNetCore"];

    [Fact]
    public void OverlayReferencesNeitherTheEngineNorTheServer()
    {
        AssemblyName[] references = typeof(Reconciler).Assembly.GetReferencedAssemblies();
        Assert.Contains(references, r => r.Name == "Backbone.Control"); // the check sees real references
        foreach (AssemblyName reference in references)
        {
            Assert.DoesNotContain(Forbidden, f => reference.Name!.StartsWith(f, StringComparison.Ordinal));
        }
    }
}
