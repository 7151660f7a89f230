using Backbone.Control.Nodes;
using Backbone.Control.Scheduling;
using Backbone.Control.Services;

namespace Backbone.Control.Tests.Scheduling;

public sealed class SchedulePlannerTests
{
    private static readonly NodeRecord H1 = Node("a1", "h1");
    private static readonly NodeRecord H2 = Node("b2", "h2");
    private static readonly NodeRecord H3 = Node("c3", "h3");

    [Fact]
    public void SpreadsByCountAcrossNodes()
    {
        var load = new Dictionary<string, int> { ["a1"] = 2 }; // h1 already runs two tasks of another service
        ScheduleChanges changes = Plan(Service(replicas: 4), [], [H1, H2, H3], load);
        Assert.Equal([1, 2, 3, 4], changes.Put.Select(t => t.Slot));
        Assert.Equal(["h2", "h3", "h1", "h2"], changes.Put.Select(t => t.NodeName)); // this service's tasks first, total load second
        Assert.All(changes.Put, t => Assert.Equal("assigned", t.State));
        Assert.Equal("web.1.t1", changes.Put[0].Name);
    }

    [Fact]
    public void HonoursConstraints()
    {
        ScheduleChanges only = Plan(Service(replicas: 2, constraints: ["node.name==h3"]), [], [H1, H2, H3], []);
        Assert.Equal(["h3", "h3"], only.Put.Select(t => t.NodeName));
        ScheduleChanges not = Plan(Service(replicas: 2, constraints: ["node.name!=h1"]), [], [H1, H2, H3], []);
        Assert.Equal(["h2", "h3"], not.Put.Select(t => t.NodeName));
    }

    [Fact]
    public void ReplacesTasksOfNodesThatAreGoneAndKeepsTheRest()
    {
        Dictionary<int, TaskRecord> tasks = new() { [1] = Task(1, H1), [2] = Task(2, H2), [3] = Task(3, H3) };
        var load = new Dictionary<string, int> { ["a1"] = 1, ["b2"] = 1, ["c3"] = 1 };
        ScheduleChanges changes = Plan(Service(replicas: 3), tasks, [H1, H3], load); // h2 is gone
        TaskRecord moved = Assert.Single(changes.Put);
        Assert.Equal((2, "h1"), (moved.Slot, moved.NodeName)); // h1 and h3 tie at one task: by name
        Assert.NotEqual(tasks[2].Id, moved.Id);
        Assert.Empty(changes.DeleteSlots);
        Assert.True(Plan(Service(replicas: 3), tasks, [H1, H2, H3], load).IsEmpty); // all placed: nothing to do
    }

    [Fact]
    public void ScalingDownDeletesTheHighestSlots()
    {
        Dictionary<int, TaskRecord> tasks = new() { [1] = Task(1, H1), [2] = Task(2, H2), [3] = Task(3, H3) };
        ScheduleChanges changes = Plan(Service(replicas: 1), tasks, [H1, H2, H3], []);
        Assert.Empty(changes.Put);
        Assert.Equal([2, 3], changes.DeleteSlots);
        Assert.Equal([1, 2, 3], Plan(Service(replicas: 0), tasks, [H1, H2, H3], []).DeleteSlots);
    }

    [Fact]
    public void TasksWaitPendingUntilANodeFits()
    {
        ScheduleChanges nowhere = Plan(Service(replicas: 2, constraints: ["node.name==h9"]), [], [H1], []);
        Assert.All(nowhere.Put, t => Assert.Equal(("pending", ""), (t.State, t.NodeName)));
        Dictionary<int, TaskRecord> pending = nowhere.Put.ToDictionary(t => t.Slot);
        Assert.True(Plan(Service(replicas: 2, constraints: ["node.name==h9"]), pending, [H1], []).IsEmpty); // still nowhere: left as they are

        ScheduleChanges placed = Plan(Service(replicas: 2, constraints: ["node.name==h9"]), pending, [H1, Node("z9", "h9")], []);
        Assert.Equal(["h9", "h9"], placed.Put.Select(t => t.NodeName));
    }

    [Fact]
    public void ANewVersionReplacesTasksOneAtATimeOnTheSameNodes()
    {
        Dictionary<int, TaskRecord> tasks = new() { [1] = Task(1, H1), [2] = Task(2, H2), [3] = Task(3, H3) };
        var load = new Dictionary<string, int> { ["a1"] = 1, ["b2"] = 1, ["c3"] = 1 };
        ServiceRecord updated = Service(replicas: 3) with { Version = 1 }; // the tasks were made for version 0
        for (int slot = 1; slot <= 3; slot++)
        {
            TaskRecord replaced = Assert.Single(Plan(updated, tasks, [H1, H2, H3], new Dictionary<string, int>(load)).Put);
            Assert.Equal((slot, tasks[slot].NodeName, 1), (replaced.Slot, replaced.NodeName, replaced.ServiceVersion)); // lowest outdated slot, where it was
            tasks[slot] = replaced;
        }

        Assert.True(Plan(updated, tasks, [H1, H2, H3], load).IsEmpty); // all current

        // While a slot waits for a node, no running task is taken down for the update.
        tasks[3] = tasks[3] with { State = "pending", NodeId = "", NodeName = "" };
        tasks[1] = tasks[1] with { ServiceVersion = 0 };
        ScheduleChanges placing = Plan(updated, tasks, [H1, H2, H3], load);
        Assert.Equal([3], placing.Put.Select(t => t.Slot)); // the pending slot is placed; the outdated slot 1 waits for the next round
    }

    private static ScheduleChanges Plan(ServiceRecord service, Dictionary<int, TaskRecord> tasks, List<NodeRecord> nodes, Dictionary<string, int> load)
    {
        int next = 0;
        return SchedulePlanner.Plan(service, tasks, nodes, load, () => $"t{++next}", 1_000);
    }

    private static NodeRecord Node(string id, string name) => new() { Id = id, Name = name, Role = "manager", Address = "10.1.0.1" };

    private static TaskRecord Task(int slot, NodeRecord node) => new()
    {
        Id = $"old{slot}", ServiceId = "s1", ServiceName = "web", Slot = slot, NodeId = node.Id, NodeName = node.Name, State = "assigned",
    };

    private static ServiceRecord Service(int replicas, IReadOnlyList<string>? constraints = null) => new()
    {
        Id = "s1", Name = "web", Replicas = replicas, EndpointMode = "vip", Networks = [], Ports = [], RestartCondition = "any",
        Command = ["sleep", "1"], Constraints = constraints ?? [],
    };
}
