using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Backbone.Overlay.Netlink;
using Makaretu.Dns;

namespace Backbone.Cli.Demo;

/// <summary>
/// What the demo does from inside a container: each socket is made on a thread that entered the
/// container's network namespace, so it is the container's traffic (its resolver at
/// 127.0.0.11, its routes over the overlay), with nothing to install.
/// </summary>
internal static class InContainer
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    /// <summary>Asks the container's embedded DNS server (127.0.0.11:53) one question, as its resolver would.</summary>
    public static Message Resolve(string container, string name, DnsType type) => NetworkNamespace.Run(container, () =>
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = (int)Patience.TotalMilliseconds };
        udp.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.11"), 53));
        var query = new Message { Id = (ushort)Random.Shared.Next(ushort.MaxValue), RD = true };
        query.Questions.Add(new Question { Name = name, Type = type });
        udp.Send(query.ToByteArray());
        byte[] buffer = new byte[4096];
        int length = udp.Receive(buffer);
        var answer = new Message();
        answer.Read(buffer, 0, length);
        return answer;
    });

    /// <summary>One ICMP echo from the container; the round trip, or null when none came back.</summary>
    public static TimeSpan? Ping(string container, string address) => NetworkNamespace.Run(container, () =>
    {
        using var ping = new Ping();
        PingReply reply = ping.Send(IPAddress.Parse(address), (int)Patience.TotalMilliseconds);
        return reply.Status == IPStatus.Success ? TimeSpan.FromMilliseconds(Math.Max(reply.RoundtripTime, 0)) : (TimeSpan?)null;
    });

    /// <summary>An HTTP GET from the container to <paramref name="address"/>:<paramref name="port"/>; the body's first line.</summary>
    public static string HttpGet(string container, string address, int port, string host) => NetworkNamespace.Run(container, () =>
    {
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)Patience.TotalMilliseconds, SendTimeout = (int)Patience.TotalMilliseconds };
        tcp.Connect(new IPEndPoint(IPAddress.Parse(address), port));
        tcp.Send(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
        using var stream = new NetworkStream(tcp, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = reader.ReadToEnd();
        int body = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return body < 0 ? response.Trim() : response[(body + 4)..].Trim();
    });
}
