using Backbone.Dns.Forwarding;
using Makaretu.Dns;
using Backbone.Dns.Tests.Server;
using static Backbone.Dns.Tests.Server.DnsClient;

namespace Backbone.Dns.Tests.Forwarding;

/// <summary>
/// Rule 9 against fake upstreams on loopback: forwarding, the cache (positive and negative),
/// racing, failure, TCP after truncation, and what a forwarder must not believe. Assertions are
/// on what the upstreams were asked and what came back, not on elapsed time.
/// </summary>
public sealed class UpstreamForwarderTests : IAsyncLifetime
{
    private readonly List<FakeUpstream> upstreams = [];
    private readonly ManualClock clock = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (FakeUpstream upstream in upstreams)
        {
            await upstream.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnUnknownNameIsForwardedAndAnswered()
    {
        FakeUpstream upstream = Upstream(UpstreamScript.Addresses("192.0.2.1", "192.0.2.2"));
        UpstreamForwarder forwarder = Forwarder(upstream);
        Message query = Query("www.example.com", DnsType.A);

        Message answer = await ForwardAsync(forwarder, query);

        Assert.Equal(MessageStatus.NoError, answer.Status);
        Assert.Equal(query.Id, answer.Id);
        Assert.Equal(["192.0.2.1", "192.0.2.2"], Addresses(answer));
        Assert.Equal(1, upstream.UdpQueries);
        Assert.Equal(1, forwarder.Forwarded);
    }

    [Fact]
    public async Task TheSecondIdenticalQueryIsACacheHit()
    {
        FakeUpstream upstream = Upstream(UpstreamScript.Addresses("192.0.2.1"));
        UpstreamForwarder forwarder = Forwarder(upstream);
        Message second = Query("WWW.Example.COM", DnsType.A);

        await ForwardAsync(forwarder, Query("www.example.com", DnsType.A));
        Message answer = await ForwardAsync(forwarder, second);

        Assert.Equal(1, upstream.Queries);
        Assert.Equal(1, forwarder.CacheHits);
        Assert.Equal(second.Id, answer.Id);
        Assert.Equal(["192.0.2.1"], Addresses(answer));
    }

    [Fact]
    public async Task AnotherTypeOfTheSameNameIsNotACacheHit()
    {
        FakeUpstream upstream = Upstream(UpstreamScript.Addresses("192.0.2.1"));
        UpstreamForwarder forwarder = Forwarder(upstream);

        await ForwardAsync(forwarder, Query("www.example.com", DnsType.A));
        await ForwardAsync(forwarder, Query("www.example.com", DnsType.AAAA));

        Assert.Equal(2, upstream.Queries);
        Assert.Equal(0, forwarder.CacheHits);
    }

    [Fact]
    public async Task APositiveAnswerIsKeptForItsSmallestTtl()
    {
        FakeUpstream upstream = Upstream(new UpstreamScript
        {
            Answer = q =>
            {
                Message answer = UpstreamScript.AddressAnswer(q, 60, "192.0.2.1");
                answer.Answers.Add(UpstreamScript.AddressAnswer(q, 10, "192.0.2.2").Answers[0]);
                return answer;
            },
        });
        UpstreamForwarder forwarder = Forwarder(upstream);

        await ForwardAsync(forwarder, Query("ttl.example.com", DnsType.A));
        clock.Advance(TimeSpan.FromSeconds(9));
        await ForwardAsync(forwarder, Query("ttl.example.com", DnsType.A));
        Assert.Equal(1, upstream.Queries);

        clock.Advance(TimeSpan.FromSeconds(2));
        await ForwardAsync(forwarder, Query("ttl.example.com", DnsType.A));
        Assert.Equal(2, upstream.Queries);
    }

    [Fact]
    public async Task NxDomainIsKeptForTheSoaMinimum()
    {
        FakeUpstream upstream = Upstream(new UpstreamScript { Answer = q => UpstreamScript.NameError(q, soaMinimumSeconds: 30) });
        UpstreamForwarder forwarder = Forwarder(upstream);

        Message first = await ForwardAsync(forwarder, Query("nothere.example.com", DnsType.A));
        Message cached = await ForwardAsync(forwarder, Query("nothere.example.com", DnsType.A));

        Assert.Equal(MessageStatus.NameError, first.Status);
        Assert.Equal(MessageStatus.NameError, cached.Status);
        Assert.Single(cached.AuthorityRecords.OfType<SOARecord>());
        Assert.Equal(1, upstream.Queries);
        Assert.Equal(1, forwarder.CacheHits);

        clock.Advance(TimeSpan.FromSeconds(29));
        await ForwardAsync(forwarder, Query("nothere.example.com", DnsType.A));
        Assert.Equal(1, upstream.Queries);

        clock.Advance(TimeSpan.FromSeconds(2));
        Message again = await ForwardAsync(forwarder, Query("nothere.example.com", DnsType.A));
        Assert.Equal(MessageStatus.NameError, again.Status);
        Assert.Equal(2, upstream.Queries);
    }

    [Fact]
    public async Task NxDomainWithoutAnSoaIsNotKept()
    {
        FakeUpstream upstream = Upstream(new UpstreamScript { Answer = q => UpstreamScript.Response(q, MessageStatus.NameError) });
        UpstreamForwarder forwarder = Forwarder(upstream);

        await ForwardAsync(forwarder, Query("bare.example.com", DnsType.A));
        await ForwardAsync(forwarder, Query("bare.example.com", DnsType.A));

        Assert.Equal(2, upstream.Queries);
    }

    [Fact]
    public async Task ASilentUpstreamDoesNotHoldUpTheOneThatAnswers()
    {
        // The try lasts far longer than the test waits: the answer can only come from racing.
        FakeUpstream silent = Upstream(UpstreamScript.Silent);
        FakeUpstream answering = Upstream(UpstreamScript.Addresses("192.0.2.7"));
        UpstreamForwarder forwarder = Forwarder([silent, answering], tryTimeout: TimeSpan.FromMinutes(5), tries: 1);

        Message answer = await ForwardAsync(forwarder, Query("race.example.com", DnsType.A));

        Assert.Equal(["192.0.2.7"], Addresses(answer));
        Assert.Equal(1, answering.Queries);
        await Poll.UntilAsync(() => silent.Queries == 1, "the silent upstream was asked too, at the same time");
        Assert.Equal(0, forwarder.Failed);
    }

    [Fact]
    public async Task AServFailFromOneUpstreamIsNotTheAnswer()
    {
        FakeUpstream failing = Upstream(new UpstreamScript { Answer = q => UpstreamScript.Response(q, MessageStatus.ServerFailure) });
        FakeUpstream slowButGood = Upstream(UpstreamScript.Addresses("192.0.2.8") with { Delay = TimeSpan.FromMilliseconds(200) });
        UpstreamForwarder forwarder = Forwarder([failing, slowButGood], tryTimeout: TimeSpan.FromMinutes(5), tries: 1);

        Message answer = await ForwardAsync(forwarder, Query("flaky.example.com", DnsType.A));

        Assert.Equal(MessageStatus.NoError, answer.Status);
        Assert.Equal(["192.0.2.8"], Addresses(answer));
    }

    [Fact]
    public async Task EveryUpstreamSilentIsServFailAfterEveryTry()
    {
        FakeUpstream first = Upstream(UpstreamScript.Silent);
        FakeUpstream second = Upstream(UpstreamScript.Silent);
        UpstreamForwarder forwarder = Forwarder([first, second], tryTimeout: TimeSpan.FromMilliseconds(200), tries: 2);
        Message query = Query("void.example.com", DnsType.A);

        Message answer = await ForwardAsync(forwarder, query);

        Assert.Equal(MessageStatus.ServerFailure, answer.Status);
        Assert.Equal(query.Id, answer.Id);
        Assert.Equal(2, first.Queries);
        Assert.Equal(2, second.Queries);
        Assert.Equal(1, forwarder.Failed);
        Assert.Equal(0, forwarder.Cache.Count);
    }

    [Fact]
    public async Task NoUpstreamsIsServFail()
    {
        UpstreamForwarder forwarder = Forwarder([], tryTimeout: TimeSpan.FromMinutes(5), tries: 1);

        Message answer = await ForwardAsync(forwarder, Query("www.example.com", DnsType.A));

        Assert.Equal(MessageStatus.ServerFailure, answer.Status);
    }

    [Fact]
    public async Task ATruncatedUdpAnswerIsAskedAgainOverTcp()
    {
        string[] many = [.. Enumerable.Range(1, 40).Select(i => $"198.51.100.{i}")];
        FakeUpstream upstream = Upstream(UpstreamScript.Addresses(many) with { TruncateOverUdp = true });
        UpstreamForwarder forwarder = Forwarder(upstream);

        Message answer = await ForwardAsync(forwarder, Query("big.example.com", DnsType.A));

        Assert.False(answer.TC);
        Assert.Equal(many.Order(StringComparer.Ordinal), Addresses(answer));
        Assert.Equal(1, upstream.UdpQueries);
        Assert.Equal(1, upstream.TcpQueries);
    }

    [Fact]
    public async Task AReplyWithTheWrongIdIsIgnored()
    {
        FakeUpstream upstream = Upstream(UpstreamScript.Addresses("192.0.2.1") with { Decoy = q => Spoofed(q, idDelta: 1, name: null) });
        UpstreamForwarder forwarder = Forwarder(upstream);

        Message answer = await ForwardAsync(forwarder, Query("spoof.example.com", DnsType.A));

        Assert.Equal(["192.0.2.1"], Addresses(answer));
    }

    [Fact]
    public async Task AReplyToAnotherQuestionIsIgnored()
    {
        FakeUpstream upstream = Upstream(UpstreamScript.Addresses("192.0.2.1") with { Decoy = q => Spoofed(q, idDelta: 0, name: "other.example.com") });
        UpstreamForwarder forwarder = Forwarder(upstream);

        Message answer = await ForwardAsync(forwarder, Query("spoof.example.com", DnsType.A));

        Assert.Equal(["192.0.2.1"], Addresses(answer));
    }

    [Fact]
    public async Task OnlyWrongIdsMeanNoAnswer()
    {
        FakeUpstream upstream = Upstream(new UpstreamScript { Answer = q => Spoofed(q, idDelta: 1, name: null) });
        UpstreamForwarder forwarder = Forwarder([upstream], tryTimeout: TimeSpan.FromMilliseconds(300), tries: 1);

        Message answer = await ForwardAsync(forwarder, Query("spoof.example.com", DnsType.A));

        Assert.Equal(MessageStatus.ServerFailure, answer.Status);
        Assert.Equal(0, forwarder.Cache.Count);
    }

    private static Message Spoofed(Message query, int idDelta, string? name)
    {
        Message decoy = UpstreamScript.AddressAnswer(query, 3600, "203.0.113.66");
        decoy.Id = (ushort)(query.Id + idDelta);
        if (name is not null)
        {
            // New objects: the response shares the query's Question instances.
            decoy.Questions[0] = new Question { Name = new DomainName(name), Type = query.Questions[0].Type, Class = query.Questions[0].Class };
            decoy.Answers[0].Name = new DomainName(name);
        }

        return decoy;
    }

    private static async Task<Message> ForwardAsync(UpstreamForwarder forwarder, Message query) =>
        await forwarder.ForwardAsync(query, CancellationToken.None).WaitAsync(Patience);

    private FakeUpstream Upstream(UpstreamScript script)
    {
        var upstream = new FakeUpstream(script);
        upstreams.Add(upstream);
        return upstream;
    }

    private UpstreamForwarder Forwarder(FakeUpstream upstream) => Forwarder([upstream], TimeSpan.FromSeconds(5), 2);

    private UpstreamForwarder Forwarder(FakeUpstream[] to, TimeSpan tryTimeout, int tries) =>
        new(new ForwarderOptions { Upstreams = [.. to.Select(u => u.Endpoint)], TryTimeout = tryTimeout, Tries = tries }, clock);
}
