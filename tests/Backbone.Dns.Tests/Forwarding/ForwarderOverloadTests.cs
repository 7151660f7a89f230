using System.Net.Sockets;
using Backbone.Dns.Tests.Server;
using Makaretu.Dns;
using static Backbone.Dns.Tests.Server.DnsClient;

namespace Backbone.Dns.Tests.Forwarding;

/// <summary>Rule 9's bound: past MaxInFlight running and as many waiting, a forward is SERVFAIL at once; nothing hangs.</summary>
public sealed class ForwarderOverloadTests
{
    private const int MaxInFlight = 2;
    private const int Queries = 20;

    [Fact]
    public async Task BeyondTheBoundClientsGetServFailAtOnceAndTheRestAreAnswered()
    {
        // The upstream sits on every query far longer than the listener takes to see all 20,
        // so the SERVFAILs must all come before the first real answer.
        await using ListenerHarness server = ListenerHarness.Start(
            UpstreamScript.Addresses(ListenerHarness.UpstreamAddress) with { Delay = TimeSpan.FromSeconds(2) },
            options => options with { MaxInFlight = MaxInFlight, TryTimeout = TimeSpan.FromSeconds(30), Tries = 1 });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server.Endpoint);
        Message[] queries = [.. Enumerable.Range(0, Queries).Select(i => Query($"slow{i}.example.com", DnsType.A))];

        foreach (Message query in queries)
        {
            await socket.SendAsync(query.ToByteArray());
        }

        var replies = new List<Message>();
        for (int i = 0; i < Queries; i++)
        {
            byte[]? reply = await ReceiveAsync(socket, Patience);
            Assert.True(reply is not null, $"only {i} of {Queries} queries were answered: one hangs");
            replies.Add(Parse(reply));
        }

        int admitted = MaxInFlight * 2; // running, and as many waiting
        Assert.All(replies[..(Queries - admitted)], r => Assert.Equal(MessageStatus.ServerFailure, r.Status));
        Assert.All(replies[(Queries - admitted)..], r => Assert.Equal(MessageStatus.NoError, r.Status));
        Assert.Equal(queries.Select(q => q.Id).Order(), replies.Select(r => r.Id).Order());
        Assert.Equal(Queries - admitted, server.Forwarder.Overloaded);
        Assert.Equal(admitted, server.Forwarder.Counters.Started);
        Assert.Equal(admitted, server.Forwarder.Counters.Answered);
        Assert.Equal(admitted, server.Upstream.Queries);
        Assert.Empty(server.Notes);
    }
}
