using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>Rule 1: a container sees the networks it is attached to; the host listener sees all.</summary>
public sealed class ScopeTests
{
    // Two networks, each with its own service called "web" and a container only it has.
    private static readonly NameTable Table = Fixtures.Table(
        [Network("front"), Network("back")],
        [
            Service("web", "vip", [On("front", "10.0.1.2")], idSeed: "webfront"),
            Service("web", "vip", [On("back", "10.0.2.2")], idSeed: "webback"),
        ],
        [Container("db", "back", "10.0.2.10"), Container("proxy", "front", "10.0.1.10")]);

    [Fact]
    public void SameServiceNameOnTwoNetworksAnswersPerScope()
    {
        AssertAnswer(Table.Resolve("web", RecordType.A, Scope("front")), "10.0.1.2");
        AssertAnswer(Table.Resolve("web", RecordType.A, Scope("back")), "10.0.2.2");
    }

    [Fact]
    public void AContainerOnBothNetworksSeesBoth()
    {
        AssertAnswer(Table.Resolve("web", RecordType.A, Scope("front", "back")), "10.0.1.2", "10.0.2.2");
    }

    [Fact]
    public void TheHostListenerSeesEveryNetwork()
    {
        AssertAnswer(Table.Resolve("web", RecordType.A, NameScope.All), "10.0.1.2", "10.0.2.2");
        AssertAnswer(Table.Resolve("db", RecordType.A, NameScope.All), "10.0.2.10");
        AssertAnswer(Table.Resolve("proxy", RecordType.A, NameScope.All), "10.0.1.10");
    }

    [Fact]
    public void ANameOnlyOnAnotherNetworkIsForwardedNotLeaked()
    {
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("db", RecordType.A, Scope("front")));
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("proxy", RecordType.A, Scope("back")));

        // Not even NODATA, which would tell the container the name exists somewhere.
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("db", RecordType.Aaaa, Scope("front")));
    }

    [Fact]
    public void QualifiedNamesPickTheNetwork()
    {
        AssertAnswer(Table.Resolve("web.back", RecordType.A, NameScope.All), "10.0.2.2");
        AssertAnswer(Table.Resolve("web.front", RecordType.A, NameScope.All), "10.0.1.2");
        AssertAnswer(Table.Resolve("db.back.", RecordType.A, NameScope.All), "10.0.2.10");
    }

    [Fact]
    public void AContainerMayQualifyOnlyWithItsOwnNetworks()
    {
        AssertAnswer(Table.Resolve("web.front", RecordType.A, Scope("front")), "10.0.1.2");
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("web.back", RecordType.A, Scope("front")));
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("db.back", RecordType.A, Scope("front")));
    }

    [Fact]
    public void AScopeOfNoKnownNetworkSeesNothing()
    {
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("web", RecordType.A, NameScope.Of(Id("nowhere")))); // and forwards nothing: it may be internal
    }
}
