using Backbone.Dns.Tests.Names;
using Makaretu.Dns;
using static Backbone.Dns.Tests.Server.DnsClient;

namespace Backbone.Dns.Tests.Server;

/// <summary>The name table's answers as a client sees them over real sockets (a Makaretu client; <see cref="DigTests"/> does the same with dig).</summary>
public sealed class ListenerAnswerTests : ListenerTests
{
    [Fact]
    public async Task AServiceNameAnswersItsVip()
    {
        Message answer = await UdpAsync(Server.Endpoint, Query("web", DnsType.A));

        Assert.Equal(MessageStatus.NoError, answer.Status);
        Assert.True(answer.QR);
        Assert.True(answer.AA);
        Assert.Equal([ListenerHarness.WebVip], Addresses(answer));
        Assert.Equal(TimeSpan.FromSeconds(5), Assert.Single(answer.Answers).TTL);
        Assert.Equal(0, Server.Upstream.Queries);
    }

    [Fact]
    public async Task TasksNameAnswersEveryTask()
    {
        Message answer = await UdpAsync(Server.Endpoint, Query("tasks.web", DnsType.A));

        Assert.Equal(["10.0.1.5", "10.0.1.6"], Addresses(answer));
    }

    [Fact]
    public async Task TheQuestionIsEchoedAsAsked()
    {
        Message answer = await UdpAsync(Server.Endpoint, Query("WWW.Front", DnsType.A));

        Question question = Assert.Single(answer.Questions);
        Assert.Equal("WWW.Front", question.Name.ToString());
        Assert.Equal([ListenerHarness.WebVip], Addresses(answer));
    }

    [Fact]
    public async Task AaaaOfAKnownNameIsNoDataAndNotForwarded()
    {
        Message answer = await UdpAsync(Server.Endpoint, Query("db", DnsType.AAAA));

        Assert.Equal(MessageStatus.NoError, answer.Status);
        Assert.Empty(answer.Answers);
        Assert.Equal(0, Server.Upstream.Queries);
    }

    [Fact]
    public async Task PtrNamesTheTaskAndTheVipNamesTheService()
    {
        Message task = await UdpAsync(Server.Endpoint, Query("5.1.0.10.in-addr.arpa", DnsType.PTR));
        Message vip = await UdpAsync(Server.Endpoint, Query("2.1.0.10.in-addr.arpa", DnsType.PTR));

        Assert.Equal(ListenerHarness.TaskName(ListenerHarness.Web, 1), Assert.IsType<PTRRecord>(Assert.Single(task.Answers)).DomainName.ToString());
        Assert.Equal("web.front", Assert.IsType<PTRRecord>(Assert.Single(vip.Answers)).DomainName.ToString());
    }

    [Fact]
    public async Task SrvCarriesItsTargetsAddressesInTheAdditionalSection()
    {
        Message answer = await UdpAsync(Server.Endpoint, Query("_8080._tcp.web", DnsType.SRV));

        SRVRecord[] srv = [.. answer.Answers.OfType<SRVRecord>().OrderBy(r => r.Target.ToString(), StringComparer.Ordinal)];
        Assert.Equal(2, srv.Length);
        Assert.All(srv, r => Assert.Equal((ushort)8080, r.Port));
        Assert.Equal(
            [ListenerHarness.TaskName(ListenerHarness.Web, 1), ListenerHarness.TaskName(ListenerHarness.Web, 2)],
            srv.Select(r => r.Target.ToString()));
        Dictionary<string, string> glue = answer.AdditionalRecords.OfType<ARecord>().ToDictionary(a => a.Name.ToString(), a => a.Address.ToString());
        Assert.Equal("10.0.1.5", glue[srv[0].Target.ToString()]);
        Assert.Equal("10.0.1.6", glue[srv[1].Target.ToString()]);
    }

    [Fact]
    public async Task TcpAnswersAsUdpDoes()
    {
        Message answer = await TcpAsync(Server.Endpoint, Query("tasks.web", DnsType.A));

        Assert.Equal(["10.0.1.5", "10.0.1.6"], Addresses(answer));
        Assert.False(answer.TC);
    }

    [Fact]
    public async Task AnUnknownNameIsForwardedAndAnswered()
    {
        Message udp = await UdpAsync(Server.Endpoint, Query("www.example.com", DnsType.A));
        Message tcp = await TcpAsync(Server.Endpoint, Query("api.example.com", DnsType.A));

        Assert.Equal([ListenerHarness.UpstreamAddress], Addresses(udp));
        Assert.Equal([ListenerHarness.UpstreamAddress], Addresses(tcp));
        Assert.Equal(1, Server.Upstream.QueriesFor("www.example.com"));
        Assert.Equal(1, Server.Upstream.QueriesFor("api.example.com"));
    }

    [Fact]
    public async Task AForwardedAnswerToAnEdnsQueryCarriesAnOpt()
    {
        Message withOpt = await UdpAsync(Server.Endpoint, Query("edns.example.com", DnsType.A, ednsPayload: 1232));
        Message withoutOpt = await UdpAsync(Server.Endpoint, Query("plain.example.com", DnsType.A));

        Assert.Equal([ListenerHarness.UpstreamAddress], Addresses(withOpt));
        Assert.Single(withOpt.AdditionalRecords.OfType<OPTRecord>());
        Assert.Empty(withoutOpt.AdditionalRecords.OfType<OPTRecord>());
    }

    [Fact]
    public async Task AContainerNameAnswersItsAddress()
    {
        Message answer = await UdpAsync(Server.Endpoint, Query(Fixtures.ContainerId("db")[..12], DnsType.A));

        Assert.Equal(["10.0.1.30"], Addresses(answer));
    }
}
