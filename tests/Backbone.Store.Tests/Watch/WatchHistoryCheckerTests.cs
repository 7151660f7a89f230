using System.Text;
using Backbone.Store.Model;
using Backbone.Store.Watch;

namespace Backbone.Store.Tests.Watch;

/// <summary>
/// The checker itself: a correct observation passes, and each broken guarantee is reported under
/// its name. The history (revision: events):
///   2: put a (v1), put b (v1)   — one txn, a before b
///   3: put a (v2)
///   4: delete b
///   5: put b (v1, created again)
/// </summary>
public sealed class WatchHistoryCheckerTests
{
    private const long Id = 3;
    private static readonly byte[] AllKeys = [0];

    private static readonly KeyValue A2 = Kv("a", "a2", create: 2, mod: 2, version: 1);
    private static readonly KeyValue B2 = Kv("b", "b2", create: 2, mod: 2, version: 1);
    private static readonly KeyValue A3 = Kv("a", "a3", create: 2, mod: 3, version: 2);
    private static readonly KeyValue B5 = Kv("b", "b5", create: 5, mod: 5, version: 1);

    private static readonly List<CommittedRevision> History =
    [
        new(2, [new(WatchEventType.Put, A2, null), new(WatchEventType.Put, B2, null)]),
        new(3, [new(WatchEventType.Put, A3, A2)]),
        new(4, [new(WatchEventType.Delete, Tombstone("b", 4), B2)]),
        new(5, [new(WatchEventType.Put, B5, null)]),
    ];

    private static readonly WatchSpec All = new() { Key = AllKeys, RangeEnd = AllKeys, StartRevision = 2, PrevKv = true };

    [Fact]
    public void CorrectObservationPasses()
    {
        Assert.Empty(new WatchHistoryChecker(History).Check(Good()));
    }

    [Fact]
    public void StartZeroMeansAfterTheCreatedRevision()
    {
        WatchObservation watch = Observe(All with { StartRevision = 0 }, Created(3), Events(5, Del(4), Put(B5)));
        watch.RequiredThroughRevision = 5;
        Assert.Empty(new WatchHistoryChecker(History).Check(watch));
    }

    [Theory]
    [InlineData("ordered")]
    [InlineData("unique")]
    [InlineData("atomic")]
    [InlineData("bookmarkable")]
    [InlineData("reliable")]
    [InlineData("resumable")]
    [InlineData("filter")]
    [InlineData("range")]
    [InlineData("is_create")]
    [InlineData("prev_kv")]
    [InlineData("content")]
    [InlineData("phantom")]
    [InlineData("compacted")]
    [InlineData("complete")]
    [InlineData("structure")]
    [InlineData("header")]
    public void BrokenGuaranteeIsReported(string guarantee)
    {
        WatchObservation watch = guarantee switch
        {
            "ordered" => Observe(All, Created(1), Events(3, Put(B2), Put(A2), Put(A3, A2)), Events(5, Del(4), Put(B5))),
            "unique" => Observe(All, Created(1), Events(3, Put(A2), Put(B2), Put(A3, A2)), Events(3, Put(A3, A2)), Events(5, Del(4), Put(B5))),
            "atomic" => Observe(All, Created(1), Events(2, Put(A2)), Events(3, Put(B2), Put(A3, A2)), Events(5, Del(4), Put(B5))),
            "bookmarkable" => Observe(All, Created(1), Events(2, Put(A2), Put(B2)), Progress(3), Events(5, Put(A3, A2), Del(4), Put(B5))),
            "reliable" => Observe(All, Created(1), Events(3, Put(A2), Put(B2)), Events(5, Del(4), Put(B5))),
            "resumable" => Observe(All with { StartRevision = 3 }, Created(1), Events(5, Put(A2), Put(B2), Put(A3, A2), Del(4), Put(B5))),
            "filter" => Observe(All with { NoDelete = true }, Created(1), Events(3, Put(A2), Put(B2), Put(A3, A2)), Events(5, Del(4), Put(B5))),
            "range" => Observe(All with { Key = "a"u8.ToArray(), RangeEnd = [] }, Created(1), Events(3, Put(A2), Put(B2), Put(A3, A2))),
            "is_create" => Observe(All, Created(1), Events(3, Put(A2), Put(B2), Put(A3, A2)), Events(5, Del(4), Put(Kv("b", "b5", create: 2, mod: 5, version: 1)))),
            "prev_kv" => Observe(All, Created(1), Events(3, Put(A2), Put(B2), Put(A3)), Events(5, Del(4), Put(B5))),
            "content" => Observe(All, Created(1), Events(3, Put(A2), Put(B2), Put(Kv("a", "other", create: 2, mod: 3, version: 2), A2)), Events(5, Del(4), Put(B5))),
            "phantom" => Observe(All, Created(1), Events(3, Put(A2), Put(B2), Put(A3, A2)), Events(9, Put(Kv("c", "c9", create: 9, mod: 9, version: 1)))),
            "compacted" => Observe(All, Created(1), Events(3, Put(A2), Put(B2), Put(A3, A2)), new WatchMessage(Id, 0, []) { Canceled = true, CompactRevision = 3 }),
            "complete" => Observe(All, Created(1), Events(3, Put(A2), Put(B2), Put(A3, A2))),
            "structure" => Observe(All, Created(1), new WatchMessage(Id, 1, []) { Canceled = true }, Events(3, Put(A2), Put(B2), Put(A3, A2))),
            "header" => Observe(All, Created(1), Events(2, Put(A2), Put(B2), Put(A3, A2)), Events(5, Del(4), Put(B5))),
            _ => throw new ArgumentOutOfRangeException(nameof(guarantee)),
        };
        watch.RequiredThroughRevision = 5;

        List<string> violations = new WatchHistoryChecker(History).Check(watch);

        Assert.Contains(violations, v => v.Contains($"({guarantee})", StringComparison.Ordinal));
    }

    [Fact]
    public void ProgressGoingBackIsReported()
    {
        WatchObservation watch = Observe(All, Created(1), Events(3, Put(A2), Put(B2), Put(A3, A2)), Progress(4), Progress(3));
        Assert.Contains(new WatchHistoryChecker(History).Check(watch), v => v.Contains("progress went back", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingPrevKvIsAllowedOnlyAtOrBelowTheCompactRevision()
    {
        WatchObservation watch = Observe(All with { StartRevision = 3 }, Created(1), Events(3, Put(A3)), Events(5, Del(4), Put(B5)));
        Assert.Empty(new WatchHistoryChecker(History, prevKvMayBeMissingThrough: 3).Check(watch));
        Assert.NotEmpty(new WatchHistoryChecker(History, prevKvMayBeMissingThrough: 2).Check(watch));
    }

    private static WatchObservation Good() =>
        Observe(All, Created(1), Events(3, Put(A2), Put(B2), Put(A3, A2)), Progress(3), Events(5, Del(4), Put(B5)), Progress(5));

    private static WatchObservation Observe(WatchSpec spec, params WatchMessage[] messages)
    {
        WatchObservation watch = new("test", spec);
        watch.Messages.AddRange(messages);
        return watch;
    }

    private static WatchMessage Created(long revision) => new(Id, revision, []) { Created = true };

    private static WatchMessage Progress(long revision) => new(WatchMessage.ProgressWatchId, revision, []);

    private static WatchMessage Events(long revision, params WatchEvent[] events) => new(Id, revision, events);

    private static WatchEvent Put(KeyValue kv, KeyValue? prev = null) => new(WatchEventType.Put, kv, prev);

    private static WatchEvent Del(long revision) => new(WatchEventType.Delete, Tombstone("b", revision), B2);

    private static KeyValue Tombstone(string key, long revision) => new() { Key = Encoding.UTF8.GetBytes(key), ModRevision = revision };

    private static KeyValue Kv(string key, string value, long create, long mod, long version) =>
        new() { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(value), CreateRevision = create, ModRevision = mod, Version = version };
}
