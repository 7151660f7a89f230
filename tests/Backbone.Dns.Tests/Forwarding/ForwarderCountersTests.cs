using Backbone.Dns.Forwarding;
using Makaretu.Dns;
using static Backbone.Dns.Tests.Server.DnsClient;

namespace Backbone.Dns.Tests.Forwarding;

/// <summary>
/// What the forwarder and its cache count for each way a forward ends: answered, failed, no
/// upstream, a cache hit or miss, and evictions when the cache is full. (Overload: <see cref="ForwarderOverloadTests"/>.)
/// </summary>
public sealed class ForwarderCountersTests : IAsyncLifetime
{
    private readonly ManualClock clock = new();
    private readonly List<FakeUpstream> upstreams = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (FakeUpstream upstream in upstreams)
        {
            await upstream.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnAnsweredForwardIsAMissThenAHit()
    {
        UpstreamForwarder forwarder = Forwarder([Upstream(UpstreamScript.Addresses("192.0.2.1"))], TimeSpan.FromSeconds(5));

        await ForwardAsync(forwarder, "a.example");
        await ForwardAsync(forwarder, "a.example");

        ForwarderCounters counters = forwarder.Counters;
        Assert.Equal(1, counters.Started);
        Assert.Equal(1, counters.Answered);
        Assert.Equal(0, counters.Failed);
        Assert.Equal(1, counters.CacheMisses);
        Assert.Equal(1, counters.CacheHits);
        Assert.Equal(1, counters.UpstreamTime.Snapshot().Count); // the hit never went upstream
        Assert.Equal(0, forwarder.Running);
        Assert.Equal(0, forwarder.Waiting);
    }

    [Fact]
    public async Task AForwardNoUpstreamAnswersIsFailedAndTimed()
    {
        UpstreamForwarder forwarder = Forwarder([Upstream(UpstreamScript.Silent)], TimeSpan.FromMilliseconds(200));

        Message answer = await ForwardAsync(forwarder, "void.example");

        Assert.Equal(MessageStatus.ServerFailure, answer.Status);
        ForwarderCounters counters = forwarder.Counters;
        Assert.Equal(1, counters.Started);
        Assert.Equal(0, counters.Answered);
        Assert.Equal(1, counters.Failed);
        Assert.Equal(1, counters.UpstreamTime.Snapshot().Count);
    }

    [Fact]
    public async Task WithNoUpstreamNothingStarts()
    {
        UpstreamForwarder forwarder = Forwarder([], TimeSpan.FromSeconds(5));

        await ForwardAsync(forwarder, "a.example");

        ForwarderCounters counters = forwarder.Counters;
        Assert.Equal(1, counters.NoUpstream);
        Assert.Equal(0, counters.Started);
        Assert.Equal(1, counters.CacheMisses);
    }

    [Fact]
    public void AnExpiredEntryIsAMiss()
    {
        var counters = new ForwarderCounters();
        var cache = new AnswerCache(clock, counters);
        Message query = Query("ttl.example", DnsType.A);
        Message answer = UpstreamScript.AddressAnswer(query, 10, "192.0.2.1");
        cache.Keep(query.Questions[0], answer, answer.ToByteArray());

        Assert.NotNull(cache.Find(query.Questions[0], 1));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(cache.Find(query.Questions[0], 2));

        Assert.Equal(1, counters.CacheHits);
        Assert.Equal(1, counters.CacheMisses);
    }

    [Fact]
    public void AFullCacheCountsWhatItDrops()
    {
        var counters = new ForwarderCounters();
        var cache = new AnswerCache(clock, counters);

        for (int i = 0; i <= AnswerCache.MaxEntries; i++)
        {
            Message query = Query($"n{i}.example", DnsType.A);
            Message answer = UpstreamScript.AddressAnswer(query, 60, "192.0.2.1");
            cache.Keep(query.Questions[0], answer, answer.ToByteArray());
        }

        Assert.Equal(AnswerCache.MaxEntries / 2, counters.CacheEvictions);
        Assert.Equal(AnswerCache.MaxEntries / 2 + 1, cache.Count);
    }

    private static async Task<Message> ForwardAsync(UpstreamForwarder forwarder, string name) =>
        await forwarder.ForwardAsync(Query(name, DnsType.A), CancellationToken.None).WaitAsync(Patience);

    private FakeUpstream Upstream(UpstreamScript script)
    {
        var upstream = new FakeUpstream(script);
        upstreams.Add(upstream);
        return upstream;
    }

    private UpstreamForwarder Forwarder(FakeUpstream[] to, TimeSpan tryTimeout) =>
        new(new ForwarderOptions { Upstreams = [.. to.Select(u => u.Endpoint)], TryTimeout = tryTimeout, Tries = 1 }, clock);
}
