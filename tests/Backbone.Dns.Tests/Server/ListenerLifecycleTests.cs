using System.Net;
using System.Net.Sockets;
using Backbone.Dns.Server;
using Makaretu.Dns;
using static Backbone.Dns.Tests.Server.DnsClient;

namespace Backbone.Dns.Tests.Server;

/// <summary>Opening and closing listeners: the agent reopens a container's 127.0.0.11:53 when its networks change.</summary>
public sealed class ListenerLifecycleTests
{
    [Fact]
    public async Task AListenerIsReopenedAtOnceOnTheAddressItClosed()
    {
        ListenerHarness first = ListenerHarness.Start();
        IPEndPoint endpoint = first.Endpoint;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(endpoint);
        await using (var stream = new NetworkStream(client, ownsSocket: false))
        {
            await stream.WriteAsync(Frame(Query("web", DnsType.A).ToByteArray()));
            Assert.NotNull(await Backbone.Dns.Forwarding.TcpFraming.ReadAsync(stream, CancellationToken.None));

            // The listener closes the connection it still holds: that side's TIME_WAIT sits on the port.
            await first.DisposeAsync();
            Assert.Null(await Backbone.Dns.Forwarding.TcpFraming.ReadAsync(stream, CancellationToken.None));
        }

        client.Close(); // the last FIN: the listener's side of the connection is now in TIME_WAIT

        (Socket udp, Socket tcp) = DnsListener.Bind(endpoint);
        udp.Dispose();
        tcp.Dispose();
    }

    [Fact]
    public async Task AnyPortIsOneFreeForBothUdpAndTcp()
    {
        // Hold many TCP ports (the clients' ephemeral ends), then bind port 0 over and over: the
        // port the kernel picks for UDP is often one of them, and TCP must still get it too.
        using Socket listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        var held = new List<Socket>();
        try
        {
            for (int i = 0; i < 2000; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                held.Add(client);
                await client.ConnectAsync(listener.LocalEndPoint!);
                held.Add(await listener.AcceptAsync());
            }

            for (int i = 0; i < 300; i++)
            {
                (Socket udp, Socket tcp) = DnsListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                Assert.Equal(((IPEndPoint)udp.LocalEndPoint!).Port, ((IPEndPoint)tcp.LocalEndPoint!).Port);
                udp.Dispose();
                tcp.Dispose();
            }
        }
        finally
        {
            held.ForEach(socket => socket.Dispose());
        }
    }

    [Fact]
    public async Task StoppingEndsEveryLoopAndConnection()
    {
        ListenerHarness server = ListenerHarness.Start();
        using var idle = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await idle.ConnectAsync(server.Endpoint);
        Assert.Equal([ListenerHarness.WebVip], Addresses(await UdpAsync(server.Endpoint, Query("web", DnsType.A))));

        await server.DisposeAsync().AsTask().WaitAsync(Patience);

        // Closed by the server, not left to idle out: an orderly close (0 bytes) once the accept
        // loop took the connection, or a reset when the stop closed the listening socket while
        // the connection still sat in its accept backlog (the kernel resets those; seen in CI).
        byte[] buffer = new byte[1];
        using var deadline = new CancellationTokenSource(Patience);
        try
        {
            Assert.Equal(0, await idle.ReceiveAsync(buffer, SocketFlags.None, deadline.Token));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // closed by the stop, as above
        }
    }
}
