using System.Reflection;
using Backbone.Control.Networks;

namespace Backbone.Control.Tests;

/// <summary>The control plane reaches the store only through etcd's messages: the agents and the DNS server use it over the client API.</summary>
public sealed class ArchitectureTests
{
    private static readonly string[] Forbidden = ["Backbone.Store", "Backbone.Server", "DotNext", "FASTER", "Microsoft.AspNetCore"];

    [Fact]
    public void ControlReferencesNeitherTheEngineNorTheServer()
    {
        AssemblyName[] references = typeof(NetworkStore).Assembly.GetReferencedAssemblies();
        Assert.Contains(references, r => r.Name == "Backbone.Api"); // the check sees real references
        foreach (AssemblyName reference in references)
        {
            Assert.DoesNotContain(Forbidden, f => reference.Name!.StartsWith(f, StringComparison.Ordinal));
        }
    }
}
