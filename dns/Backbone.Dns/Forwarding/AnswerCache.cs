using System.Collections.Concurrent;
using Makaretu.Dns;

namespace Backbone.Dns.Forwarding;

/// <summary>
/// Upstream answers by question, kept for their TTL (the smallest of the answer's records), and
/// negative answers (NXDOMAIN, or no data) for the SOA minimum their authority section gives,
/// as RFC 2308 says. Bounded: past <see cref="MaxEntries"/> the oldest half is dropped.
/// </summary>
public sealed class AnswerCache(TimeProvider time)
{
    public const int MaxEntries = 10_000;
    private static readonly TimeSpan MaxTtl = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<(string Name, DnsType Type, DnsClass Class), (byte[] Response, DateTimeOffset Expires)> entries = new();

    public int Count => entries.Count;

    /// <summary>The cached response for <paramref name="question"/> with <paramref name="id"/> as its id, or null.</summary>
    public byte[]? Find(Question question, ushort id)
    {
        if (!entries.TryGetValue(Key(question), out (byte[] Response, DateTimeOffset Expires) hit) || hit.Expires <= time.GetUtcNow())
        {
            return null;
        }

        byte[] copy = (byte[])hit.Response.Clone();
        copy[0] = (byte)(id >> 8);
        copy[1] = (byte)id;
        return copy;
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
            foreach (var old in entries.OrderBy(e => e.Value.Expires).Take(MaxEntries / 2))
            {
                entries.TryRemove(old.Key, out _);
            }
        }

        entries[Key(question)] = (bytes, time.GetUtcNow() + (keep > MaxTtl ? MaxTtl : keep));
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
