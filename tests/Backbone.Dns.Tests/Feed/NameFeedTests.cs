using Backbone.Control;
using Backbone.Control.Endpoints;
using Backbone.Control.Networks;
using Backbone.Control.Services;
using Backbone.Dns.Feed;
using Backbone.Dns.Names;
using Backbone.Dns.Tests.Names;
using Backbone.Dns.Tests.Server;

namespace Backbone.Dns.Tests.Feed;

/// <summary>
/// The feed reads the store once, then lives on the watch's events: a change shows without
/// another read, a key outside the name prefixes changes nothing, and a failed watch is followed
/// by one fresh read and a new watch from the revision after it.
/// </summary>
public sealed class NameFeedTests
{
    private static readonly NetworkRecord Front = Fixtures.Network("front");
    private static readonly ServiceRecord Web = Fixtures.Service("web", "dnsrr", [Fixtures.On("front")]);

    [Fact]
    public async Task ChangesFromTheWatchShowWithoutReadingAgain()
    {
        FakeStore store = Seeded();
        var events = new FakeEventFeed();
        using var stop = new CancellationTokenSource();
        var feed = new NameFeed(store, events, new NameTableOptions(), TimeProvider.System, _ => { });
        Task running = feed.RunAsync(stop.Token);
        await Poll.UntilAsync(() => events.Starts.Count == 1, "the feed watches after its first read");
        Assert.Equal(store.Revision + 1, events.Starts[0]);
        Fixtures.AssertAnswer(feed.Current.Resolve("web", RecordType.A, NameScope.All), "10.0.0.5");

        KeyEvent second = store.Put(EndpointKey(Fixtures.Task(Web, 2, "front", "10.0.0.6")), Fixtures.Task(Web, 2, "front", "10.0.0.6").Serialize());
        events.Send(store.Revision, second);
        // The table is swapped in just before the revision is set: wait for both.
        await Poll.UntilAsync(() => feed.Current.Resolve("web", RecordType.A, NameScope.All).Answers.Count == 2 && feed.Revision == store.Revision, "the second task answers");
        Fixtures.AssertAnswer(feed.Current.Resolve("web", RecordType.A, NameScope.All), "10.0.0.5", "10.0.0.6");

        long builds = feed.Builds;
        KeyEvent task = store.Put(ControlKeys.TasksPrefix + Web.Id + "/3", [1, 2, 3]); // not a record the table uses (and not one it could parse)
        events.Send(store.Revision, task);
        await Poll.UntilAsync(() => feed.Revision == store.Revision, "the feed moves past a revision with nothing of its own");
        Assert.Equal(builds, feed.Builds);
        Assert.Equal(1, store.Reads);

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task AFailedWatchIsFollowedByOneReadAndANewWatchFromThere()
    {
        FakeStore store = Seeded();
        var events = new FakeEventFeed();
        using var stop = new CancellationTokenSource();
        List<string> notes = [];
        var feed = new NameFeed(store, events, new NameTableOptions(), TimeProvider.System, note => { lock (notes) { notes.Add(note); } });
        Task running = feed.RunAsync(stop.Token);
        await Poll.UntilAsync(() => events.Starts.Count == 1, "the feed watches after its first read");

        // Written while the watch is down (compacted away): only a new read can show it.
        EndpointRecord missed = Fixtures.Task(Web, 2, "front", "10.0.0.6");
        store.Put(EndpointKey(missed), missed.Serialize());
        events.Fail();
        await Poll.UntilAsync(() => events.Starts.Count == 2, "the feed watches again after the failure");
        Assert.Equal(2, store.Reads);
        Assert.Equal(store.Revision + 1, events.Starts[1]);
        Fixtures.AssertAnswer(feed.Current.Resolve("web", RecordType.A, NameScope.All), "10.0.0.5", "10.0.0.6");
        lock (notes)
        {
            Assert.Contains(notes, n => n.Contains("compacted", StringComparison.Ordinal));
        }

        await stop.CancelAsync();
        await running;
    }

    private static FakeStore Seeded()
    {
        var store = new FakeStore();
        store.Put(ControlKeys.NetworksPrefix + Front.Id, Front.Serialize());
        store.Put(ControlKeys.ServicesPrefix + Web.Id, Web.Serialize());
        EndpointRecord first = Fixtures.Task(Web, 1, "front", "10.0.0.5");
        store.Put(EndpointKey(first), first.Serialize());
        return store;
    }

    private static string EndpointKey(EndpointRecord endpoint) => ControlKeys.Endpoints(endpoint.NetworkId) + endpoint.Id;
}
