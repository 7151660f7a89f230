using Backbone.Control.Services;
using Backbone.Dns.Names;
using static Backbone.Dns.Tests.Names.Fixtures;

namespace Backbone.Dns.Tests.Names;

/// <summary>Rule 8: endpoints not running, or on a node known down, are never returned.</summary>
public sealed class HealthTests
{
    private static readonly ServiceRecord Web = Service("web", "vip", [On("front", "10.0.1.2")], [Port("http", 80)]);
    private static readonly ServiceRecord Cache = Service("cache", "dnsrr", [On("front")]);

    private static NameTable TableWith(params string[] downNodes) => Fixtures.Table(
        [Network("front")],
        [Web, Cache],
        [
            Task(Web, 1, "front", "10.0.1.5"),
            Task(Web, 2, "front", "10.0.1.6", running: false),
            Task(Web, 3, "front", "10.0.1.7", node: "node2"),
            Task(Cache, 1, "front", "10.0.1.20", node: "node2"),
            Task(Cache, 2, "front", "10.0.1.21"),
            Container("db", "front", "10.0.1.10", running: false),
        ],
        downNodes);

    [Fact]
    public void StoppedTasksAreLeftOut()
    {
        NameTable table = TableWith();
        AssertAnswer(table.Resolve("tasks.web", RecordType.A, Scope("front")), "10.0.1.5", "10.0.1.7");
        AssertAnswer(table.Resolve("cache", RecordType.A, Scope("front")), "10.0.1.20", "10.0.1.21");
    }

    [Fact]
    public void TasksOnADownNodeAreLeftOut()
    {
        NameTable table = TableWith("node2");
        AssertAnswer(table.Resolve("tasks.web", RecordType.A, Scope("front")), "10.0.1.5");
        AssertAnswer(table.Resolve("cache", RecordType.A, Scope("front")), "10.0.1.21");
        AssertOutcome(LookupOutcome.NoData, table.Resolve(TaskName(Web, 3), RecordType.A, Scope("front")));
    }

    [Fact]
    public void EveryTaskDownKeepsTheVipButEmptiesTasksAndDnsrr()
    {
        NameTable table = TableWith("node1", "node2");

        // Docker's behaviour: the VIP answers even with no task behind it.
        AssertAnswer(table.Resolve("web", RecordType.A, Scope("front")), "10.0.1.2");
        AssertOutcome(LookupOutcome.NoData, table.Resolve("tasks.web", RecordType.A, Scope("front")));
        AssertOutcome(LookupOutcome.NoData, table.Resolve("cache", RecordType.A, Scope("front")));
        AssertOutcome(LookupOutcome.NoData, table.Resolve("tasks.cache", RecordType.A, Scope("front")));
        AssertOutcome(LookupOutcome.NoData, table.Resolve("_http._tcp.web", RecordType.Srv, Scope("front")));
    }

    [Fact]
    public void AStoppedContainerIsKnownButNotAnswered()
    {
        // NODATA, not a forward: its name must not reach the upstream resolvers or resolve to something else there.
        NameTable table = TableWith();
        AssertOutcome(LookupOutcome.NoData, table.Resolve("db", RecordType.A, Scope("front")));
        AssertOutcome(LookupOutcome.NoData, table.Resolve(TaskName(Web, 2), RecordType.A, Scope("front")));
        AssertOutcome(LookupOutcome.NoData, table.Resolve("10.1.0.10.in-addr.arpa", RecordType.Ptr, Scope("front")));
    }

    [Fact]
    public void SrvLeavesOutUnhealthyTasks()
    {
        NameTable table = TableWith("node2");
        Lookup lookup = table.Resolve("_http._tcp.web", RecordType.Srv, Scope("front"));
        AssertAnswer(lookup, TaskName(Web, 1) + ".front.");
        DnsRecord additional = Assert.Single(lookup.Additional);
        Assert.Equal("10.0.1.5", additional.Data);
    }
}
