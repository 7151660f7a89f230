using Backbone.Control.Services;
using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>When a name means several things: the service wins over an endpoint; endpoints sharing a name all answer.</summary>
public sealed class ConflictTests
{
    [Fact]
    public void AServiceBeatsAContainerOfTheSameName()
    {
        ServiceRecord web = Service("web", "vip", [On("front", "10.0.1.2")]);
        NameTable table = Fixtures.Table(
            [Network("front")],
            [web],
            [Container("web", "front", "10.0.1.50", aliases: ["tasks.web"])]);

        AssertAnswer(table.Resolve("web", RecordType.A, Scope("front")), "10.0.1.2");
        AssertAnswer(table.Resolve("web.front", RecordType.A, Scope("front")), "10.0.1.2");
        AssertOutcome(LookupOutcome.NoData, table.Resolve("tasks.web", RecordType.A, Scope("front")));

        // The container keeps its other names.
        AssertAnswer(table.Resolve(ContainerId("web")[..12], RecordType.A, Scope("front")), "10.0.1.50");
    }

    [Fact]
    public void ServiceAliasesCopiedOntoTasksStillMeanTheService()
    {
        // The agent writes the service's aliases into each task endpoint too.
        ServiceRecord web = Service("web", "vip", [On("front", "10.0.1.2", "www")]);
        NameTable table = Fixtures.Table(
            [Network("front")],
            [web],
            [Task(web, 1, "front", "10.0.1.5", aliases: ["www"]), Task(web, 2, "front", "10.0.1.6", aliases: ["www"])]);

        AssertAnswer(table.Resolve("www", RecordType.A, Scope("front")), "10.0.1.2");
        AssertAnswer(table.Resolve("tasks.www", RecordType.A, Scope("front")), "10.0.1.5", "10.0.1.6");
    }

    [Fact]
    public void ContainersSharingAnAliasAllAnswer()
    {
        NameTable table = Fixtures.Table(
            [Network("front")],
            [],
            [
                Container("cache-a", "front", "10.0.1.60", aliases: ["cache"]),
                Container("cache-b", "front", "10.0.1.61", aliases: ["cache"]),
                Container("cache-c", "front", "10.0.1.62", aliases: ["cache"], running: false),
            ]);

        AssertAnswer(table.Resolve("cache", RecordType.A, Scope("front")), "10.0.1.60", "10.0.1.61");
        AssertAnswer(table.Resolve("cache.front", RecordType.A, Scope("front")), "10.0.1.60", "10.0.1.61");
    }

    [Fact]
    public void AnAliasRepeatingTheNameGivesOneRecord()
    {
        NameTable table = Fixtures.Table([Network("front")], [], [Container("db", "front", "10.0.1.10", aliases: ["db", "DB"])]);

        Assert.Single(table.Resolve("db", RecordType.A, Scope("front")).Answers);
    }

    [Fact]
    public void AcrossNetworksTheServiceWinsToo()
    {
        ServiceRecord web = Service("web", "vip", [On("front", "10.0.1.2")]);
        NameTable table = Fixtures.Table(
            [Network("front"), Network("back")],
            [web],
            [Container("web", "back", "10.0.2.50")]);

        AssertAnswer(table.Resolve("web", RecordType.A, Scope("front", "back")), "10.0.1.2");
        AssertAnswer(table.Resolve("web", RecordType.A, NameScope.All), "10.0.1.2");

        // Each on its own network, and each qualified name, still means what it means there.
        AssertAnswer(table.Resolve("web", RecordType.A, Scope("back")), "10.0.2.50");
        AssertAnswer(table.Resolve("web.back", RecordType.A, NameScope.All), "10.0.2.50");
    }

    [Fact]
    public void TwoServicesSharingAnAliasBothAnswer()
    {
        ServiceRecord blue = Service("blue", "vip", [On("front", "10.0.1.2", "app")]);
        ServiceRecord green = Service("green", "vip", [On("front", "10.0.1.3", "app")]);
        NameTable table = Fixtures.Table([Network("front")], [blue, green], []);

        AssertAnswer(table.Resolve("app", RecordType.A, Scope("front")), "10.0.1.2", "10.0.1.3");
    }
}
