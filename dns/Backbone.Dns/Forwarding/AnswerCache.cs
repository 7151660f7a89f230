using System.Collections.Concurrent;
using Makaretu.Dns;

namespace Backbone.Dns.Forwarding;

/// <summary>
/// Upstream answers by question, kept for their TTL (the smallest of the answer's records), and
/// negative answers (NXDOMAIN, or no data) for the SOA minimum their authority section gives,
/// as RFC 2308 says. Bounded: past <see cref="MaxEntries"/> the oldest half is dropped. Hits,
/// misses (an expired entry is a miss) and evictions go to the forwarder's counters.
/// </summary>
public sealed class AnswerCache(TimeProvider time, ForwarderCounters counters)
{
    public const int MaxEntries = 10_000;
    private static readonly TimeSpan MaxTtl = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<(string Name, DnsType Type, DnsClass Class), (byte[] Response, DateTimeOffset Kept, DateTimeOffset Expires)> entries = new();

    public AnswerCache(TimeProvider time)
        : this(time, new ForwarderCounters())
    {
    }

    /// <summary>Entries kept now (takes every lock of the dictionary: for a scrape, not per query).</summary>
    public int Count => entries.Count;

    /// <summary>
    /// The cached response for <paramref name="question"/> with <paramref name="id"/> as its id,
    /// its TTLs counted down by the time it has been kept (a client must not cache it past the
    /// upstream's TTL), or null.
    /// </summary>
    public Message? Find(Question question, ushort id)
    {
        DateTimeOffset now = time.GetUtcNow();
        if (!entries.TryGetValue(Key(question), out (byte[] Response, DateTimeOffset Kept, DateTimeOffset Expires) hit) || hit.Expires <= now)
        {
            counters.CacheMiss();
            return null;
        }

        counters.CacheHit();

        var response = new Message();
        response.Read(hit.Response);
        response.Id = id;
        TimeSpan age = TimeSpan.FromSeconds(Math.Floor((now - hit.Kept).TotalSeconds));
        foreach (ResourceRecord record in response.Answers.Concat(response.AuthorityRecords).Concat(response.AdditionalRecords).Where(r => r is not OPTRecord))
        {
            record.TTL = record.TTL > age ? record.TTL - age : TimeSpan.Zero;
        }

        return response;
    }

    public void Keep(Question question, Message response, byte[] bytes)
    {
        TimeSpan? ttl = TtlOf(response);
        if (ttl is not { } keep || keep <= TimeSpan.Zero)
        {
            return;
        }

        if (entries.Count >= MaxEntries)
        {
            int evicted = 0;
            foreach (var old in entries.OrderBy(e => e.Value.Expires).Take(MaxEntries / 2))
            {
                evicted += entries.TryRemove(old.Key, out _) ? 1 : 0;
            }

            counters.CacheEvict(evicted);
        }

        DateTimeOffset now = time.GetUtcNow();
        entries[Key(question)] = (bytes, now, now + (keep > MaxTtl ? MaxTtl : keep));
    }

    /// <summary>How long an answer may be kept: null when it must not be (a failure, or a truncated answer).</summary>
    public static TimeSpan? TtlOf(Message response)
    {
        if (response.TC || response.Status is not (MessageStatus.NoError or MessageStatus.NameError))
        {
            return null;
        }

        if (response.Status == MessageStatus.NoError && response.Answers.Count > 0)
        {
            return response.Answers.Min(a => a.TTL);
        }

        // Negative: the SOA's minimum, bounded by the SOA record's own TTL; none without an SOA.
        return response.AuthorityRecords.OfType<SOARecord>().Select(soa => soa.Minimum < soa.TTL ? soa.Minimum : soa.TTL).Cast<TimeSpan?>().FirstOrDefault();
    }

    private static (string, DnsType, DnsClass) Key(Question question) => (question.Name.ToString().ToLowerInvariant(), question.Type, question.Class);
}
