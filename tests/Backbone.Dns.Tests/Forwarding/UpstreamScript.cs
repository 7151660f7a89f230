using System.Net;
using Makaretu.Dns;

namespace Backbone.Dns.Tests.Forwarding;

/// <summary>What a <see cref="FakeUpstream"/> does with each query it gets.</summary>
public sealed record UpstreamScript
{
    /// <summary>The answer to a query (its id and question are the query's unless the function says otherwise); null: never answer.</summary>
    public required Func<Message, Message?> Answer { get; init; }

    /// <summary>How long to sit on a query before answering it (each query waits on its own).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Over UDP, answer with TC set and no records; the full answer only over TCP.</summary>
    public bool TruncateOverUdp { get; init; }

    /// <summary>Sent over UDP just before the answer: a spoofed or stale reply the forwarder must ignore.</summary>
    public Func<Message, Message?>? Decoy { get; init; }

    /// <summary>Never answers.</summary>
    public static UpstreamScript Silent { get; } = new() { Answer = _ => null };

    /// <summary>Answers every A question with <paramref name="addresses"/>, TTL 60 s.</summary>
    public static UpstreamScript Addresses(params string[] addresses) => new() { Answer = query => AddressAnswer(query, 60, addresses) };

    public static Message AddressAnswer(Message query, uint ttlSeconds, params string[] addresses)
    {
        Message answer = Response(query, MessageStatus.NoError);
        foreach (string address in addresses)
        {
            answer.Answers.Add(new ARecord { Name = query.Questions[0].Name, TTL = TimeSpan.FromSeconds(ttlSeconds), Address = IPAddress.Parse(address) });
        }

        return answer;
    }

    /// <summary>NXDOMAIN with the zone's SOA in the authority section (RFC 2308: negative answers are kept for its minimum).</summary>
    public static Message NameError(Message query, uint soaMinimumSeconds, uint soaTtlSeconds = 3600)
    {
        Message answer = Response(query, MessageStatus.NameError);
        answer.AuthorityRecords.Add(new SOARecord
        {
            Name = new DomainName("example"),
            TTL = TimeSpan.FromSeconds(soaTtlSeconds),
            PrimaryName = new DomainName("ns.example"),
            Mailbox = new DomainName("admin.example"),
            SerialNumber = 1,
            Refresh = TimeSpan.FromHours(1),
            Retry = TimeSpan.FromMinutes(10),
            Expire = TimeSpan.FromDays(7),
            Minimum = TimeSpan.FromSeconds(soaMinimumSeconds),
        });
        return answer;
    }

    public static Message Response(Message query, MessageStatus status)
    {
        Message answer = query.CreateResponse(); // Makaretu 2.0.1 copies the question section
        answer.Status = status;
        answer.RD = query.RD;
        answer.RA = true;
        return answer;
    }
}
