using Backbone.Control.Services;
using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>Rule 3: a service name is its VIP (vip) or its tasks (dnsrr); tasks.X is always its tasks.</summary>
public sealed class ServiceTests
{
    private static readonly ServiceRecord Web = Service("web", "vip", [On("front", "10.0.1.2", "www")]);
    private static readonly ServiceRecord Cache = Service("cache", "dnsrr", [On("front", "", "memo")]);
    private static readonly ServiceRecord Api = Service("api", "vip", [On("front", "10.0.1.3")]);

    private static readonly NameTable Table = Fixtures.Table(
        [Network("front")],
        [Web, Cache, Api],
        [
            Task(Web, 1, "front", "10.0.1.5"),
            Task(Web, 2, "front", "10.0.1.6"),
            Task(Cache, 1, "front", "10.0.1.20"),
            Task(Cache, 2, "front", "10.0.1.21"),
            Task(Cache, 3, "front", "10.0.1.22"),
            Task(Api, 1, "front", "10.0.1.30"),
        ]);

    [Theory]
    [InlineData("web")]
    [InlineData("www")]
    [InlineData("web.front")]
    [InlineData("www.front.")]
    public void VipServiceAndItsAliasesAnswerTheVip(string name)
    {
        AssertAnswer(Table.Resolve(name, RecordType.A, Scope("front")), "10.0.1.2");
    }

    [Theory]
    [InlineData("tasks.web")]
    [InlineData("tasks.www")]
    [InlineData("tasks.web.front")]
    [InlineData("TASKS.WWW.FRONT.")]
    public void TasksNameAnswersEveryRunningTask(string name)
    {
        AssertAnswer(Table.Resolve(name, RecordType.A, Scope("front")), "10.0.1.5", "10.0.1.6");
    }

    [Theory]
    [InlineData("cache")]
    [InlineData("memo")]
    [InlineData("tasks.cache")]
    [InlineData("tasks.memo")]
    [InlineData("cache.front")]
    public void DnsrrServiceAnswersItsTasks(string name)
    {
        AssertAnswer(Table.Resolve(name, RecordType.A, Scope("front")), "10.0.1.20", "10.0.1.21", "10.0.1.22");
    }

    [Fact]
    public void TasksOfOtherServicesStayOut()
    {
        AssertAnswer(Table.Resolve("tasks.api", RecordType.A, Scope("front")), "10.0.1.30");
    }

    [Fact]
    public void AServiceOnTwoNetworksHasOneVipOnEach()
    {
        ServiceRecord web = Service("web", "vip", [On("front", "10.0.1.2"), On("back", "10.0.2.2")]);
        NameTable table = Fixtures.Table(
            [Network("front"), Network("back")],
            [web],
            [Task(web, 1, "front", "10.0.1.5"), Task(web, 1, "back", "10.0.2.5")]);

        AssertAnswer(table.Resolve("web", RecordType.A, Scope("front")), "10.0.1.2");
        AssertAnswer(table.Resolve("web", RecordType.A, Scope("back")), "10.0.2.2");
        AssertAnswer(table.Resolve("tasks.web", RecordType.A, Scope("back")), "10.0.2.5");
        AssertAnswer(table.Resolve("tasks.web.front", RecordType.A, NameScope.All), "10.0.1.5");
    }

    [Fact]
    public void VipModeWithoutAVipOnTheNetworkAnswersTheTasks()
    {
        ServiceRecord web = Service("web", "vip", [On("front", vip: "")]);
        NameTable table = Fixtures.Table([Network("front")], [web], [Task(web, 1, "front", "10.0.1.5")]);

        AssertAnswer(table.Resolve("web", RecordType.A, Scope("front")), "10.0.1.5");
    }

    [Fact]
    public void AServiceWithoutTasksStillHasItsVip()
    {
        ServiceRecord web = Service("web", "vip", [On("front", "10.0.1.2")]);
        NameTable table = Fixtures.Table([Network("front")], [web], []);

        AssertAnswer(table.Resolve("web", RecordType.A, Scope("front")), "10.0.1.2");
        AssertOutcome(LookupOutcome.NoData, table.Resolve("tasks.web", RecordType.A, Scope("front")));
    }

    [Fact]
    public void AttachmentsToNetworksTheSourceLacksAreIgnored()
    {
        ServiceRecord web = Service("web", "vip", [On("gone", "10.0.9.2")]);
        NameTable table = Fixtures.Table([Network("front")], [web], [Task(web, 1, "gone", "10.0.9.5")]);

        AssertOutcome(LookupOutcome.Forward, table.Resolve("web", RecordType.A, NameScope.All));
        AssertOutcome(LookupOutcome.NxDomain, table.Resolve("web", RecordType.A, Scope("gone"))); // an unknown network forwards nothing
        Assert.Equal(0, table.NameCount);
    }
}
