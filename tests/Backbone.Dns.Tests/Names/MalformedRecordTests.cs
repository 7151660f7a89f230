using Backbone.Control.Services;
using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>Records the store should never hold must not break the build of the whole table.</summary>
public sealed class MalformedRecordTests
{
    [Fact]
    public void AnEndpointWithoutAnIpv4AddressIsKnownButNotAnswered()
    {
        NameTable table = Fixtures.Table(
            [Network("front")],
            [],
            [Container("odd", "front", "not-an-address"), Container("six", "front", "fd00::5"), Container("db", "front", "10.0.1.10")]);

        AssertOutcome(LookupOutcome.NoData, table.Resolve("odd", RecordType.A, Scope("front")));
        AssertOutcome(LookupOutcome.NoData, table.Resolve("six", RecordType.Aaaa, Scope("front")));
        AssertAnswer(table.Resolve("db", RecordType.A, Scope("front")), "10.0.1.10");
    }

    [Fact]
    public void AServiceWithAMalformedVipAnswersItsTasks()
    {
        ServiceRecord web = Service("web", "vip", [On("front", "10.0.1")]);
        NameTable table = Fixtures.Table([Network("front")], [web], [Task(web, 1, "front", "10.0.1.5")]);

        AssertAnswer(table.Resolve("web", RecordType.A, Scope("front")), "10.0.1.5");
    }

    [Fact]
    public void PortsOutOfRangeAreSkipped()
    {
        ServiceRecord web = Service("web", "vip", [On("front", "10.0.1.2")], [Port("bad", 70000), Port("http", 80)]);
        NameTable table = Fixtures.Table([Network("front")], [web], [Task(web, 1, "front", "10.0.1.5")]);

        AssertOutcome(LookupOutcome.NoData, table.Resolve("_bad._tcp.web", RecordType.Srv, Scope("front")));
        Assert.Single(table.Resolve("_http._tcp.web", RecordType.Srv, Scope("front")).Answers);
    }

    [Fact]
    public void ANetworkListedTwiceCountsOnce()
    {
        NameTable table = Fixtures.Table([Network("front"), Network("front")], [], [Container("db", "front", "10.0.1.10")]);

        Assert.Single(table.Resolve("db", RecordType.A, Scope("front")).Answers);
    }
}
