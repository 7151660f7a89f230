using Backbone.Control.Services;
using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>Rule 6: <c>_port._proto.service</c>, one record per running task, targets' addresses in the additional section.</summary>
public sealed class SrvTests
{
    private static readonly ServiceRecord Web = Service(
        "web",
        "vip",
        [On("front", "10.0.1.2", "www")],
        [Port("http", 8080), Port("53", 53, "udp")]);

    private static readonly NameTable Table = Fixtures.Table(
        [Network("front")],
        [Web],
        [Task(Web, 1, "front", "10.0.1.5"), Task(Web, 2, "front", "10.0.1.6")]);

    [Fact]
    public void OneRecordPerRunningTask()
    {
        Lookup lookup = Table.Resolve("_http._tcp.web", RecordType.Srv, Scope("front"));

        Assert.Equal(LookupOutcome.Answer, lookup.Outcome);
        Assert.Equal(
            [
                new DnsRecord("_http._tcp.web.", RecordType.Srv, 5, TaskName(Web, 1) + ".front.", Priority: 0, Weight: 10, Port: 8080),
                new DnsRecord("_http._tcp.web.", RecordType.Srv, 5, TaskName(Web, 2) + ".front.", Priority: 0, Weight: 10, Port: 8080),
            ],
            lookup.Answers.OrderBy(r => r.Data, StringComparer.Ordinal));
    }

    [Fact]
    public void AdditionalSectionHoldsEachTargetsAddress()
    {
        Lookup lookup = Table.Resolve("_http._tcp.web", RecordType.Srv, Scope("front"));

        Assert.Equal(
            [
                new DnsRecord(TaskName(Web, 1) + ".front.", RecordType.A, 5, "10.0.1.5"),
                new DnsRecord(TaskName(Web, 2) + ".front.", RecordType.A, 5, "10.0.1.6"),
            ],
            lookup.Additional.OrderBy(r => r.Name, StringComparer.Ordinal));

        // And every target resolves on its own as well.
        foreach (DnsRecord srv in lookup.Answers)
        {
            Assert.Equal(LookupOutcome.Answer, Table.Resolve(srv.Data, RecordType.A, Scope("front")).Outcome);
        }
    }

    [Theory]
    [InlineData("_53._udp.web")]
    [InlineData("_53._udp.web.front.")]
    [InlineData("_53._udp.www")]
    [InlineData("_53._UDP.WWW.FRONT")]
    public void QualifiedAliasedAndNumberedPortNames(string name)
    {
        Lookup lookup = Table.Resolve(name, RecordType.Srv, NameScope.All);
        Assert.Equal(2, lookup.Answers.Count);
        Assert.All(lookup.Answers, r => Assert.Equal((ushort)53, r.Port));
        Assert.Equal(2, lookup.Additional.Count);
    }

    [Theory]
    [InlineData("_https._tcp.web")]
    [InlineData("_http._udp.web")]
    [InlineData("_https._tcp.www.front")]
    public void AKnownServiceWithoutThatPortIsNoData(string name)
    {
        AssertOutcome(LookupOutcome.NoData, Table.Resolve(name, RecordType.Srv, Scope("front")));
    }

    [Fact]
    public void AnSrvNameAskedForAnAddressIsNoData()
    {
        AssertOutcome(LookupOutcome.NoData, Table.Resolve("_http._tcp.web", RecordType.A, Scope("front")));
    }

    [Fact]
    public void AnUnknownServiceIsForwarded()
    {
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("_http._tcp.nothere", RecordType.Srv, Scope("front")));
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("_ldap._tcp.example.com", RecordType.Srv, Scope("front")));
    }

    [Fact]
    public void AServiceOnAnotherNetworkIsForwarded()
    {
        // A network this table does not know (yet): nothing seen, and nothing forwarded (fail closed).
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("_http._tcp.web", RecordType.Srv, NameScope.Of(Id("nother"))));
        AssertOutcome(LookupOutcome.NxDomain, Table.Resolve("_https._tcp.web", RecordType.Srv, NameScope.Of(Id("nother"))));
    }

    [Fact]
    public void DnsrrServicesHaveSrvToo()
    {
        ServiceRecord cache = Service("cache", "dnsrr", [On("front")], [Port("redis", 6379)]);
        NameTable table = Fixtures.Table([Network("front")], [cache], [Task(cache, 1, "front", "10.0.1.20")]);

        Lookup lookup = table.Resolve("_redis._tcp.cache", RecordType.Srv, Scope("front"));
        Assert.Equal((ushort)6379, Assert.Single(lookup.Answers).Port);
        Assert.Equal("10.0.1.20", Assert.Single(lookup.Additional).Data);
    }

    [Fact]
    public void AServiceWithoutPortsAnswersSrvWithNoData()
    {
        ServiceRecord plain = Service("plain", "vip", [On("front", "10.0.1.40")]);
        NameTable table = Fixtures.Table([Network("front")], [plain], [Task(plain, 1, "front", "10.0.1.41")]);

        AssertOutcome(LookupOutcome.NoData, table.Resolve("_http._tcp.plain", RecordType.Srv, Scope("front")));
        AssertOutcome(LookupOutcome.NoData, table.Resolve("plain", RecordType.Srv, Scope("front")));
    }
}
