using Backbone.Core.Metrics;

namespace Backbone.Dns.Forwarding;

/// <summary>
/// What the forwarder and its cache did. Every query the table does not know asks the cache
/// (a hit or a miss); a miss is either forwarded (started, then answered or failed) or refused
/// at once (overloaded, or no upstream to ask): so misses = started + overloaded + no upstream
/// (+ those still waiting for a slot or cancelled as the server stops). Updated from many
/// threads at once: one interlocked operation each.
/// </summary>
public sealed class ForwarderCounters
{
    private long started;
    private long answered;
    private long failed;
    private long overloaded;
    private long noUpstream;
    private long cacheHits;
    private long cacheMisses;
    private long cacheEvictions;

    /// <summary>Forwards that got a slot and asked the upstreams.</summary>
    public long Started => Interlocked.Read(ref started);

    /// <summary>Forwards an upstream answered usably (relayed to the client, and cached when the answer allows).</summary>
    public long Answered => Interlocked.Read(ref answered);

    /// <summary>Forwards no upstream answered usably within every try: the client got SERVFAIL.</summary>
    public long Failed => Interlocked.Read(ref failed);

    /// <summary>Forwards refused because as many were running and waiting as allowed: SERVFAIL at once.</summary>
    public long Overloaded => Interlocked.Read(ref overloaded);

    /// <summary>Forwards with no upstream to ask (none configured): SERVFAIL at once.</summary>
    public long NoUpstream => Interlocked.Read(ref noUpstream);

    public long CacheHits => Interlocked.Read(ref cacheHits);

    public long CacheMisses => Interlocked.Read(ref cacheMisses);

    /// <summary>Entries dropped to make room (the cache keeps at most <see cref="AnswerCache.MaxEntries"/>).</summary>
    public long CacheEvictions => Interlocked.Read(ref cacheEvictions);

    /// <summary>From a started forward's first ask to its answer, or to giving up after every try.</summary>
    public DurationHistogram UpstreamTime { get; } = new();

    internal void Start() => Interlocked.Increment(ref started);

    internal void Answer(TimeSpan took)
    {
        Interlocked.Increment(ref answered);
        UpstreamTime.Observe(took);
    }

    internal void Fail(TimeSpan took)
    {
        Interlocked.Increment(ref failed);
        UpstreamTime.Observe(took);
    }

    internal void Overload() => Interlocked.Increment(ref overloaded);

    internal void HaveNoUpstream() => Interlocked.Increment(ref noUpstream);

    internal void CacheHit() => Interlocked.Increment(ref cacheHits);

    internal void CacheMiss() => Interlocked.Increment(ref cacheMisses);

    internal void CacheEvict(int entries) => Interlocked.Add(ref cacheEvictions, entries);
}
