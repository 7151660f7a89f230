using System.Net;
using System.Net.Sockets;
using Backbone.Dns.Forwarding;
using Makaretu.Dns;

namespace Backbone.Dns.Tests.Server;

/// <summary>A Makaretu-built client for tests: queries over UDP and TCP, raw bytes when the test needs to send what no client would.</summary>
internal static class DnsClient
{
    /// <summary>How long a test waits for a reply that should come: far beyond any answer's normal time, so only a stall reaches it.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static int nextId = 100;

    public static Message Query(string name, DnsType type, ushort? ednsPayload = null)
    {
        var query = new Message { Id = NextId(), RD = true };
        query.Questions.Add(new Question { Name = new DomainName(name), Type = type, Class = DnsClass.IN });
        if (ednsPayload is { } payload)
        {
            query.AdditionalRecords.Add(new OPTRecord { RequestorPayloadSize = payload });
        }

        return query;
    }

    /// <summary>A fresh query id (distinct across the run, so a stray reply is never taken for another).</summary>
    public static ushort NextId() => (ushort)Interlocked.Increment(ref nextId);

    public static async Task<Message> UdpAsync(IPEndPoint server, Message query)
    {
        byte[]? reply = await UdpRawAsync(server, query.ToByteArray(), Patience);
        Assert.True(reply is not null, $"no UDP reply to {query.Questions[0]} within {Patience}");
        Message answer = Parse(reply);
        Assert.Equal(query.Id, answer.Id);
        return answer;
    }

    /// <summary>Sends <paramref name="packet"/> from a fresh socket; the first reply, or null when none came within <paramref name="wait"/>.</summary>
    public static async Task<byte[]?> UdpRawAsync(IPEndPoint server, byte[] packet, TimeSpan wait)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server);
        await socket.SendAsync(packet);
        return await ReceiveAsync(socket, wait);
    }

    /// <summary>The next datagram on a connected socket, or null after <paramref name="wait"/>.</summary>
    public static async Task<byte[]?> ReceiveAsync(Socket socket, TimeSpan wait)
    {
        byte[] buffer = new byte[ushort.MaxValue];
        using var deadline = new CancellationTokenSource(wait);
        try
        {
            int length = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            return buffer[..length];
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public static async Task<Message> TcpAsync(IPEndPoint server, Message query)
    {
        byte[][] replies = await TcpExchangeAsync(server, Frame(query.ToByteArray()), 1);
        Message answer = Parse(Assert.Single(replies));
        Assert.Equal(query.Id, answer.Id);
        return answer;
    }

    /// <summary>Writes <paramref name="written"/> in one go on a new connection and reads <paramref name="count"/> framed replies.</summary>
    public static async Task<byte[][]> TcpExchangeAsync(IPEndPoint server, byte[] written, int count)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(Patience);
        await socket.ConnectAsync(server, deadline.Token);
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(written, deadline.Token);
        var replies = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            replies[i] = await TcpFraming.ReadAsync(stream, deadline.Token) ?? throw new Xunit.Sdk.XunitException($"the server closed the connection after {i} of {count} replies");
        }

        return replies;
    }

    /// <summary>A message with its two-byte TCP length prefix.</summary>
    public static byte[] Frame(byte[] message) => [(byte)(message.Length >> 8), (byte)message.Length, .. message];

    public static Message Parse(byte[] reply)
    {
        var message = new Message();
        message.Read(reply);
        return message;
    }

    /// <summary>The addresses of the answer's A records, sorted.</summary>
    public static string[] Addresses(Message answer) =>
        [.. answer.Answers.OfType<ARecord>().Select(a => a.Address.ToString()).Order(StringComparer.Ordinal)];
}
