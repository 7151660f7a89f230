using Backbone.Control.Services;
using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>Rules 4 and 7 (TTL): A answers, a known name of another type is NODATA, ANY is what the name has.</summary>
public sealed class RecordTypeTests
{
    private static readonly ServiceRecord Web = Service("web", "vip", [On("front", "10.0.1.2")], [Port("http", 8080)]);

    private static NameTable TableWithTtl(uint ttl) => Fixtures.Table(
        [Network("front")],
        [Web],
        [Task(Web, 1, "front", "10.0.1.5"), Container("db", "front", "10.0.1.10")],
        ttl: ttl);

    private static readonly NameTable Table = TableWithTtl(5);

    [Theory]
    [InlineData("web")]
    [InlineData("tasks.web")]
    [InlineData("db")]
    [InlineData("web.front")]
    public void AaaaForAKnownNameIsNoData(string name)
    {
        AssertOutcome(LookupOutcome.NoData, Table.Resolve(name, RecordType.Aaaa, Scope("front")));
        AssertOutcome(LookupOutcome.NoData, Table.Resolve(name, RecordType.Aaaa, NameScope.All));
    }

    [Theory]
    [InlineData((ushort)15)] // MX
    [InlineData((ushort)16)] // TXT
    [InlineData((ushort)5)] // CNAME
    [InlineData((ushort)6)] // SOA
    [InlineData((ushort)12)] // PTR on a forward name
    [InlineData((ushort)33)] // SRV on an address name
    public void OtherTypesForAKnownNameAreNoData(ushort type)
    {
        AssertOutcome(LookupOutcome.NoData, Table.Resolve("db", (RecordType)type, Scope("front")));
    }

    [Fact]
    public void OtherTypesForAnUnknownNameAreForwarded()
    {
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("example.com", RecordType.Aaaa, Scope("front")));
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("example.com", (RecordType)15, Scope("front")));
    }

    [Fact]
    public void AnyAnswersTheAddressRecords()
    {
        Lookup lookup = Table.Resolve("db", RecordType.Any, Scope("front"));
        AssertAnswer(lookup, "10.0.1.10");
        Assert.All(lookup.Answers, r => Assert.Equal(RecordType.A, r.Type));
        AssertAnswer(Table.Resolve("web", RecordType.Any, Scope("front")), "10.0.1.2");
    }

    [Fact]
    public void AnyOnAnSrvOrReverseNameAnswersWhatTheNameHas()
    {
        Lookup srv = Table.Resolve("_http._tcp.web", RecordType.Any, Scope("front"));
        Assert.Equal(RecordType.Srv, Assert.Single(srv.Answers).Type);
        Assert.Single(srv.Additional);

        Lookup ptr = Table.Resolve("10.1.0.10.in-addr.arpa", RecordType.Any, Scope("front"));
        Assert.Equal(RecordType.Ptr, Assert.Single(ptr.Answers).Type);
    }

    [Fact]
    public void AReverseNameAskedForAnAddressIsNoData()
    {
        AssertOutcome(LookupOutcome.NoData, Table.Resolve("10.1.0.10.in-addr.arpa", RecordType.A, Scope("front")));
    }

    [Fact]
    public void EveryRecordCarriesTheConfiguredTtl()
    {
        NameTable table = TableWithTtl(30);
        List<DnsRecord> records = [];
        foreach ((string name, RecordType type) in new[]
        {
            ("web", RecordType.A), ("tasks.web", RecordType.A), ("db", RecordType.A), ("db.front", RecordType.A),
            ("_http._tcp.web", RecordType.Srv), ("2.1.0.10.in-addr.arpa", RecordType.Ptr), ("10.1.0.10.in-addr.arpa", RecordType.Ptr),
        })
        {
            Lookup lookup = table.Resolve(name, type, Scope("front"));
            Assert.Equal(LookupOutcome.Answer, lookup.Outcome);
            records.AddRange(lookup.Answers);
            records.AddRange(lookup.Additional);
        }

        Assert.Equal(8, records.Count);
        Assert.All(records, r => Assert.Equal(30u, r.Ttl));
    }

    [Fact]
    public void TheDefaultTtlIsFiveSeconds()
    {
        Assert.Equal(5u, new NameTableOptions().Ttl);
        Assert.Equal(5u, Assert.Single(Table.Resolve("db", RecordType.A, Scope("front")).Answers).Ttl);
    }
}
