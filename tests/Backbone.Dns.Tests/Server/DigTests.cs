namespace Backbone.Dns.Tests.Server;

/// <summary>The real client: dig (dnsutils) against a listener on loopback. Skipped where dig is not installed.</summary>
public sealed class DigTests : ListenerTests
{
    [SkippableFact]
    public async Task AServiceNameAnswersItsVip()
    {
        Dig dig = await RunAsync("web");

        Assert.Equal("NOERROR", dig.Status);
        Assert.All((string[])["qr", "aa", "rd", "ra"], flag => Assert.Contains(flag, dig.Flags));
        Assert.Equal([ListenerHarness.WebVip], dig.Addresses());
        Assert.True(dig.HasOpt, dig.Output); // dig asks with EDNS0 by default: the OPT comes back
    }

    [SkippableFact]
    public async Task TasksNameAnswersEveryTask()
    {
        Dig dig = await RunAsync("tasks.web", "A");

        Assert.Equal(["10.0.1.5", "10.0.1.6"], dig.Addresses());
    }

    [SkippableFact]
    public async Task AnyAnswersTheAddresses()
    {
        Dig dig = await RunAsync("web", "ANY");

        Assert.Equal([ListenerHarness.WebVip], dig.Addresses());
    }

    [SkippableFact]
    public async Task AaaaOfAKnownNameIsNoError()
    {
        Dig dig = await RunAsync("db", "AAAA");

        Assert.Equal("NOERROR", dig.Status);
        Assert.Empty(dig.Answers);
        Assert.Equal(0, Server.Upstream.Queries);
    }

    [SkippableFact]
    public async Task ReverseLookupNamesTheTask()
    {
        Dig dig = await RunAsync("-x", "10.0.1.5");

        Dig.Line ptr = Assert.Single(dig.Answers);
        Assert.Equal("PTR", ptr.Type);
        Assert.Equal("5.1.0.10.in-addr.arpa", ptr.Name);
        Assert.Equal(ListenerHarness.TaskName(ListenerHarness.Web, 1) + ".", ptr.Data);
    }

    [SkippableFact]
    public async Task SrvComesWithItsTargetsAddresses()
    {
        Dig dig = await RunAsync("_8080._tcp.web", "SRV");

        Assert.Equal(2, dig.Answers.Count);
        Assert.All(dig.Answers, srv => Assert.Equal("SRV", srv.Type));
        Dictionary<string, string> glue = dig.Additional.Where(a => a.Type == "A").ToDictionary(a => a.Name, a => a.Data);
        foreach (Dig.Line srv in dig.Answers)
        {
            string[] data = srv.Data.Split(' '); // priority weight port target
            Assert.Equal("8080", data[2]);
            Assert.Contains(data[3].TrimEnd('.'), glue.Keys);
        }

        Assert.Equal(["10.0.1.5", "10.0.1.6"], glue.Values.Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task OverTcpTheLargeAnswerIsComplete()
    {
        Dig dig = await RunAsync("+tcp", "tasks.big");

        Assert.Equal("TCP", dig.Transport);
        Assert.Equal(ListenerHarness.BigTasks, dig.Answers.Count);
        Assert.DoesNotContain("tc", dig.Flags);
    }

    [SkippableFact]
    public async Task WithALargeBufferTheLargeAnswerComesOverUdp()
    {
        Dig dig = await RunAsync("+bufsize=4096", "tasks.big");

        Assert.Equal("UDP", dig.Transport);
        Assert.Equal(ListenerHarness.BigTasks, dig.Answers.Count);
        Assert.DoesNotContain("tc", dig.Flags);
    }

    [SkippableFact]
    public async Task WithoutEdnsTheLargeAnswerIsTruncated()
    {
        Dig dig = await RunAsync("+noedns", "+ignore", "tasks.big");

        Assert.Contains("tc", dig.Flags);
        Assert.False(dig.HasOpt);
        Assert.Equal("UDP", dig.Transport);
    }

    [SkippableFact]
    public async Task DigRetriesATruncatedAnswerOverTcp()
    {
        Dig dig = await RunAsync("+noedns", "tasks.big");

        Assert.Contains("Truncated, retrying in TCP mode", dig.Output, StringComparison.Ordinal);
        Assert.Equal("TCP", dig.Transport);
        Assert.Equal(ListenerHarness.BigTasks, dig.Answers.Count);
    }

    [SkippableFact]
    public async Task WithoutEdnsNoOptComesBack()
    {
        Dig dig = await RunAsync("+noedns", "web");

        Assert.False(dig.HasOpt);
        Assert.Equal([ListenerHarness.WebVip], dig.Addresses());
    }

    [SkippableFact]
    public async Task AnExternalNameIsForwardedToTheUpstream()
    {
        Dig dig = await RunAsync("www.example.com");

        Assert.Equal("NOERROR", dig.Status);
        Assert.Equal([ListenerHarness.UpstreamAddress], dig.Addresses());
        Assert.True(dig.HasOpt, dig.Output);
        Assert.Equal(1, Server.Upstream.QueriesFor("www.example.com"));
    }

    private Task<Dig> RunAsync(params string[] args)
    {
        Skip.IfNot(Dig.Installed, "needs dig (apt-get install dnsutils)");
        return Dig.RunAsync(Server.Endpoint, args);
    }
}
