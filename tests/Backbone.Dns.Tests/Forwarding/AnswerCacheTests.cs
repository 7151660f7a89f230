using Backbone.Dns.Forwarding;
using Makaretu.Dns;
using static Backbone.Dns.Tests.Server.DnsClient;

namespace Backbone.Dns.Tests.Forwarding;

/// <summary>How long an upstream answer may be kept (RFC 2308 for negative ones), and what a hit returns.</summary>
public sealed class AnswerCacheTests
{
    private readonly ManualClock clock = new();

    [Fact]
    public void AnAnswerIsKeptForItsSmallestTtl()
    {
        Message answer = UpstreamScript.AddressAnswer(Query("a.example", DnsType.A), 300, "192.0.2.1");
        answer.Answers.Add(UpstreamScript.AddressAnswer(Query("a.example", DnsType.A), 20, "192.0.2.2").Answers[0]);

        Assert.Equal(TimeSpan.FromSeconds(20), AnswerCache.TtlOf(answer));
    }

    [Theory]
    [InlineData(30u, 3600u, 30)] // the minimum
    [InlineData(600u, 60u, 60)] // bounded by the SOA's own TTL
    public void ANegativeAnswerIsKeptForItsSoaMinimum(uint minimum, uint soaTtl, int expectedSeconds)
    {
        Message nxdomain = UpstreamScript.NameError(Query("nx.example", DnsType.A), minimum, soaTtl);
        Message nodata = UpstreamScript.NameError(Query("nx.example", DnsType.A), minimum, soaTtl);
        nodata.Status = MessageStatus.NoError;

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), AnswerCache.TtlOf(nxdomain));
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), AnswerCache.TtlOf(nodata));
    }

    [Fact]
    public void FailuresTruncationsAndBareNegativesAreNotKept()
    {
        Message query = Query("x.example", DnsType.A);
        Message truncated = UpstreamScript.AddressAnswer(query, 60, "192.0.2.1");
        truncated.TC = true;

        Assert.Null(AnswerCache.TtlOf(UpstreamScript.Response(query, MessageStatus.ServerFailure)));
        Assert.Null(AnswerCache.TtlOf(UpstreamScript.Response(query, MessageStatus.Refused)));
        Assert.Null(AnswerCache.TtlOf(UpstreamScript.Response(query, MessageStatus.NameError)));
        Assert.Null(AnswerCache.TtlOf(truncated));
    }

    [Fact]
    public void AHitCarriesTheAskersIdAndExpires()
    {
        var cache = new AnswerCache(clock);
        Message query = Query("Hit.Example", DnsType.A);
        Message answer = UpstreamScript.AddressAnswer(query, 10, "192.0.2.1");
        byte[] kept = answer.ToByteArray();
        cache.Keep(query.Questions[0], answer, kept);

        Message later = Query("hit.example", DnsType.A);
        Message? hit = cache.Find(later.Questions[0], later.Id);
        Assert.NotNull(hit);
        Assert.Equal(later.Id, hit.Id);
        Assert.Equal(query.Id, Server.Packets.Id(kept)); // a hit is a copy: the kept bytes stay as they were
        Assert.Equal(TimeSpan.FromSeconds(10), hit.Answers[0].TTL);

        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(TimeSpan.FromSeconds(6), cache.Find(later.Questions[0], later.Id)!.Answers[0].TTL); // counted down, as a resolver must

        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Null(cache.Find(later.Questions[0], later.Id));
    }

    [Fact]
    public void TheCacheIsBounded()
    {
        var cache = new AnswerCache(clock);
        for (int i = 0; i <= AnswerCache.MaxEntries; i++)
        {
            Message query = Query($"n{i}.example", DnsType.A);
            Message answer = UpstreamScript.AddressAnswer(query, 60, "192.0.2.1");
            cache.Keep(query.Questions[0], answer, answer.ToByteArray());
        }

        Assert.InRange(cache.Count, 1, AnswerCache.MaxEntries);
    }
}
