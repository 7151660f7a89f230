using Backbone.Control.Services;
using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>Rule 5: reverse names of endpoint addresses and VIPs point at <c>name.network.</c>.</summary>
public sealed class PtrTests
{
    private static readonly ServiceRecord Web = Service("web", "vip", [On("front", "10.0.1.2")]);

    private static readonly NameTable Table = Fixtures.Table(
        [Network("front"), Network("back")],
        [Web],
        [Task(Web, 1, "front", "10.0.1.5"), Container("db", "back", "10.0.2.10", aliases: ["database"])]);

    [Fact]
    public void ATaskAddressPointsAtItsTaskName()
    {
        Lookup lookup = Table.Resolve("5.1.0.10.in-addr.arpa", RecordType.Ptr, Scope("front"));
        DnsRecord record = Assert.Single(lookup.Answers);
        Assert.Equal(new DnsRecord("5.1.0.10.in-addr.arpa.", RecordType.Ptr, 5, TaskName(Web, 1) + ".front."), record);
    }

    [Fact]
    public void AContainerAddressPointsAtItsName()
    {
        AssertAnswer(Table.Resolve("10.2.0.10.in-addr.arpa.", RecordType.Ptr, Scope("back")), "db.back.");
    }

    [Fact]
    public void AVipPointsAtTheService()
    {
        AssertAnswer(Table.Resolve("2.1.0.10.in-addr.arpa", RecordType.Ptr, Scope("front")), "web.front.");
    }

    [Fact]
    public void ReverseNamesIgnoreCase()
    {
        AssertAnswer(Table.Resolve("2.1.0.10.IN-ADDR.ARPA.", RecordType.Ptr, Scope("front")), "web.front.");
    }

    [Fact]
    public void ATargetResolvesBack()
    {
        string target = Assert.Single(Table.Resolve("5.1.0.10.in-addr.arpa", RecordType.Ptr, Scope("front")).Answers).Data;
        AssertAnswer(Table.Resolve(target, RecordType.A, Scope("front")), "10.0.1.5");
    }

    [Fact]
    public void AddressesOfOtherNetworksAreNotReversed()
    {
        AssertOutcome(LookupOutcome.Forward, Table.Resolve("10.2.0.10.in-addr.arpa", RecordType.Ptr, Scope("front")));
        AssertAnswer(Table.Resolve("10.2.0.10.in-addr.arpa", RecordType.Ptr, NameScope.All), "db.back.");
    }

    [Theory]
    [InlineData("99.1.0.10.in-addr.arpa")]
    [InlineData("1.0.0.127.in-addr.arpa.")]
    [InlineData("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.")]
    public void UnknownReverseNamesAreForwarded(string name)
    {
        AssertOutcome(LookupOutcome.Forward, Table.Resolve(name, RecordType.Ptr, Scope("front")));
        AssertOutcome(LookupOutcome.Forward, Table.Resolve(name, RecordType.Ptr, NameScope.All));
    }
}
