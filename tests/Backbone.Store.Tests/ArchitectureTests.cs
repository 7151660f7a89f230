using System.Reflection;

namespace Backbone.Store.Tests;

/// <summary>ARCHITECTURE.md's rule: the MVCC engine knows nothing of gRPC, Raft or the server.</summary>
public sealed class ArchitectureTests
{
    private static readonly string[] Forbidden = ["Grpc", "Google.Protobuf", "DotNext", "Microsoft.AspNetCore", "Backbone.Server", "Backbone.Api", "Backbone.Client"];

    [Fact]
    public void StoreReferencesNeitherTransportNorConsensus()
    {
        AssemblyName[] references = typeof(StoreEngine).Assembly.GetReferencedAssemblies();
        Assert.Contains(references, r => r.Name == "FASTER.core"); // the check sees real references
        foreach (AssemblyName reference in references)
        {
            Assert.DoesNotContain(Forbidden, f => reference.Name!.StartsWith(f, StringComparison.Ordinal));
        }
    }
}
