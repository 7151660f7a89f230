using Backbone.Control.Services;
using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>Rule 9: names the scope cannot see are forwarded, except from internal networks.</summary>
public sealed class ForwardingTests
{
    private static readonly ServiceRecord Vault = Service("vault", "vip", [On("secret", "10.0.3.2")]);

    private static readonly NameTable Table = Fixtures.Table(
        [Network("front"), Network("secret", isInternal: true), Network("vault-only", isInternal: true)],
        [Vault],
        [Task(Vault, 1, "secret", "10.0.3.5"), Container("db", "front", "10.0.1.10")]);

    [Theory]
    [InlineData("example.com")]
    [InlineData("example.com.")]
    [InlineData("web")]
    [InlineData("tasks.nothing")]
    public void UnknownNamesAreForwarded(string name)
    {
        AssertOutcome(LookupOutcome.Forward, Table.Resolve(name, RecordType.A, Scope("front")));
        AssertOutcome(LookupOutcome.Forward, Table.Resolve(name, RecordType.A, NameScope.All));
    }

    [Fact]
    public void AScopeOfOnlyInternalNetworksNeverForwards()
    {
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("example.com", RecordType.A, Scope("secret")));
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("example.com", RecordType.Aaaa, Scope("secret", "vault-only")));
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("99.3.0.10.in-addr.arpa", RecordType.Ptr, Scope("secret")));
    }

    [Fact]
    public void InternalNetworksStillResolveTheirOwnNames()
    {
        AssertAnswer(Table.Resolve("vault", RecordType.A, Scope("secret")), "10.0.3.2");
        AssertOutcome(LookupOutcome.NoData, Table.Resolve("vault", RecordType.Aaaa, Scope("secret")));
    }

    [Fact]
    public void ANameOnAnotherNetworkLooksUnknownFromAnInternalOne()
    {
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("db", RecordType.A, Scope("secret")));
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("db.front", RecordType.A, Scope("secret")));
    }

    [Fact]
    public void OneNonInternalNetworkInTheScopeForwards()
    {
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("example.com", RecordType.A, Scope("secret", "front")));
    }

    [Fact]
    public void TheHostListenerForwardsEvenWhenInternalNetworksExist()
    {
        NameTable onlyInternal = Fixtures.Table([Network("secret", isInternal: true)], [Vault], []);
        AssertOutcome(LookupOutcome.Forward, onlyInternal.Resolve("example.com", RecordType.A, NameScope.All));
    }

    [Fact]
    public void ANetworkTheTableDoesNotKnowYetNeverForwards()
    {
        // Fail closed: before the table knows a network it may be internal, whose names must never go upstream.
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("example.com", RecordType.A, NameScope.Of(NetworkId("secret"), Id("unknown"))));
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("example.com", RecordType.A, NameScope.Of(Id("unknown"))));
    }

    [Fact]
    public void AnEmptyScopeNeverForwards()
    {
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("example.com", RecordType.A, NameScope.Of()));
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("db", RecordType.A, NameScope.Of()));
    }

    [Fact]
    public void TheEmptyTableForwardsOnlyForTheHost()
    {
        AssertOutcome(LookupOutcome.Forward, NameTable.Empty.Resolve("web", RecordType.A, NameScope.All));
        AssertOutcome(LookupOutcome.NxDomain, NameTable.Empty.Resolve("web", RecordType.A, Scope("front"))); // a container's networks are not known yet
        AssertOutcome(LookupOutcome.Forward, NameTable.Build(NameSource.Empty, new NameTableOptions()).Resolve("web", RecordType.A, NameScope.All));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("db..")]
    public void EmptyAndRootNamesAreNotOurs(string name)
    {
        AssertOutcome(LookupOutcome.Forward, Table.Resolve(name, RecordType.A, Scope("front")));
    }

    [Fact]
    public void NamesTooLongForDnsAreNotOursAndDoNotThrow()
    {
        string longName = string.Join('.', Enumerable.Repeat(new string('a', 63), 8));
        AssertOutcome(LookupOutcome.Forward, Table.Resolve(longName, RecordType.A, Scope("front")));
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve(longName, RecordType.A, Scope("secret")));
    }
}
