using Backbone.Dns.Forwarding;
using Backbone.Dns.Tests.Server;
using Makaretu.Dns;

namespace Backbone.Dns.Tests.Forwarding;

/// <summary>What an upstream's bytes must be before Makaretu parses them (<see cref="AnswerCheck"/>).</summary>
public sealed class AnswerCheckTests
{
    private static readonly Message Query = DnsClient.Query("web.example", DnsType.A);

    [Fact]
    public void AProperAnswerToOurIdPasses()
    {
        Message answer = UpstreamScript.AddressAnswer(Query, 60, "192.0.2.1");
        Assert.True(AnswerCheck.IsSafe(answer.ToByteArray(), Query.Id));
        Message srv = Query.CreateResponse();
        srv.Answers.Add(new SRVRecord { Name = new DomainName("_x._tcp.web.example"), Target = new DomainName("t1.example"), Port = 80, TTL = TimeSpan.FromSeconds(5) });
        srv.AuthorityRecords.Add(new SOARecord { Name = new DomainName("example"), PrimaryName = new DomainName("ns.example"), Mailbox = new DomainName("a.example"), TTL = TimeSpan.FromSeconds(5) });
        Assert.True(AnswerCheck.IsSafe(srv.ToByteArray(), Query.Id));
    }

    [Fact]
    public void AnythingElseIsNotEvenParsed()
    {
        byte[] answer = UpstreamScript.AddressAnswer(Query, 60, "192.0.2.1").ToByteArray();
        Assert.False(AnswerCheck.IsSafe(answer, (ushort)(Query.Id + 1))); // another id: a spoof, or a late answer
        byte[] asQuery = (byte[])answer.Clone();
        asQuery[2] &= 0x7f;
        Assert.False(AnswerCheck.IsSafe(asQuery, Query.Id)); // not a response
        Assert.False(AnswerCheck.IsSafe(answer[..^3], Query.Id)); // cut short

        // A name of 30,000 one-byte labels (quadratic for Makaretu): rejected in one linear walk.
        var deep = new List<byte>(Packets.Header(Query.Id));
        deep[2] |= 0x80;
        for (int i = 0; i < 30_000; i++)
        {
            deep.AddRange([1, (byte)'a']);
        }

        deep.AddRange([0, 0, 1, 0, 1]);
        Assert.False(AnswerCheck.IsSafe([.. deep], Query.Id));

        // A compression pointer inside SRV data that points forwards.
        Message srv = Query.CreateResponse();
        srv.Answers.Add(new SRVRecord { Name = new DomainName("web.example"), Target = new DomainName("t"), Port = 80, TTL = TimeSpan.FromSeconds(5) });
        byte[] bytes = srv.ToByteArray();
        bytes[^3] = 0xc0; // the target "t" becomes a pointer...
        bytes[^2] = 0xff; // ...past the end
        Assert.False(AnswerCheck.IsSafe(bytes, Query.Id));
    }
}
