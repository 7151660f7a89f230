using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>Rule 2: an endpoint answers to its name, its aliases and its short id, in any case, with or without the trailing dot.</summary>
public sealed class NameFormTests
{
    private static readonly Backbone.Control.Services.ServiceRecord Web = Service("web", "vip", [On("front", "10.0.1.2")]);

    private static readonly NameTable Table = Fixtures.Table(
        [Network("front")],
        [Web],
        [
            Task(Web, 1, "front", "10.0.1.5"),
            Container("db", "front", "10.0.1.10", aliases: ["database", "Primary"]),
        ]);

    [Fact]
    public void TaskNameResolvesToTheTask()
    {
        AssertAnswer(Table.Resolve(TaskName(Web, 1), RecordType.A, Scope("front")), "10.0.1.5");
        AssertAnswer(Table.Resolve(TaskName(Web, 1) + ".front", RecordType.A, Scope("front")), "10.0.1.5");
    }

    [Fact]
    public void ContainerNameAndAliasesResolve()
    {
        AssertAnswer(Table.Resolve("db", RecordType.A, Scope("front")), "10.0.1.10");
        AssertAnswer(Table.Resolve("database", RecordType.A, Scope("front")), "10.0.1.10");
        AssertAnswer(Table.Resolve("primary", RecordType.A, Scope("front")), "10.0.1.10");
        AssertAnswer(Table.Resolve("database.front", RecordType.A, Scope("front")), "10.0.1.10");
    }

    [Fact]
    public void ShortIdIsTheFirstTwelveCharacters()
    {
        string shortContainer = ContainerId("db")[..12];
        string shortTask = TaskId(Web, 1)[..12];
        AssertAnswer(Table.Resolve(shortContainer, RecordType.A, Scope("front")), "10.0.1.10");
        AssertAnswer(Table.Resolve(shortTask, RecordType.A, Scope("front")), "10.0.1.5");
        AssertAnswer(Table.Resolve(shortContainer + ".front.", RecordType.A, NameScope.All), "10.0.1.10");

        // The full id is not a name (Docker neither).
        AssertOutcome(LookupOutcome.Forward, Table.Resolve(ContainerId("db"), RecordType.A, Scope("front")));
    }

    [Theory]
    [InlineData("DB")]
    [InlineData("Db.")]
    [InlineData("db.")]
    [InlineData("DATABASE.FRONT.")]
    [InlineData("Database.Front")]
    public void MatchingIgnoresCaseAndTheTrailingDot(string name)
    {
        AssertAnswer(Table.Resolve(name, RecordType.A, Scope("front")), "10.0.1.10");
    }

    [Fact]
    public void OwnerNamesAreLowerCaseWithTheTrailingDot()
    {
        Lookup lookup = Table.Resolve("Database.FRONT", RecordType.A, Scope("front"));
        DnsRecord record = Assert.Single(lookup.Answers);
        Assert.Equal(new DnsRecord("database.front.", RecordType.A, 5, "10.0.1.10"), record);
    }

    [Fact]
    public void TaskNameIsCaseInsensitiveToo()
    {
        AssertAnswer(Table.Resolve(TaskName(Web, 1).ToUpperInvariant(), RecordType.A, Scope("front")), "10.0.1.5");
    }

    [Fact]
    public void NameCountCountsEveryForm()
    {
        // Every name is held bare and qualified by its network, and every address has a reverse name:
        // web, tasks.web: 4 + the VIP's reverse: 1; the task's name, short id: 4 + reverse: 1;
        // db, database, primary, db's short id: 8 + reverse: 1.
        Assert.Equal(19, Table.NameCount);
        Assert.Equal(0, NameTable.Empty.NameCount);
    }
}
