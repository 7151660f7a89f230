using System.Reflection;
using Backbone.Dns.Names;

namespace Backbone.Dns.Tests;

/// <summary>
/// ARCHITECTURE.md's rule: dns/ reaches the store only through the wire API's types, never the
/// engine or the server; nor does it lean on the agent (it uses only the netlink library's
/// namespaces to open its container listeners).
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly string[] ForbiddenNames = ["Backbone.Store", "Backbone.Store.Raft", "Backbone.Server", "Backbone.Overlay"];
    private static readonly string[] ForbiddenPrefixes = ["DotNext", "FASTER", "Microsoft.AspNetCore"];

    [Fact]
    public void DnsReferencesNeitherTheEngineNorTheServerNorTheAgent()
    {
        AssemblyName[] references = typeof(NameTable).Assembly.GetReferencedAssemblies();
        Assert.Contains(references, r => r.Name == "Backbone.Control"); // the check sees real references
        foreach (AssemblyName reference in references)
        {
            Assert.DoesNotContain(reference.Name, ForbiddenNames);
            Assert.DoesNotContain(ForbiddenPrefixes, f => reference.Name!.StartsWith(f, StringComparison.Ordinal));
        }
    }
}
